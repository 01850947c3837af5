/**
 * A real browser for the dashboard tests: Debian's Chromium driven by playwright-core (which never
 * downloads a browser), headless, in a fresh profile directory, with every background feature
 * that would reach the internet turned off. Missing Chromium skips the browser tests locally and
 * fails them in CI (`.ci/run` installs it).
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium, type BrowserContext } from "playwright-core";

export const CHROMIUM = "/usr/bin/chromium";

/** Where screenshots go: kept as test artifacts (the docs copy the main ones). */
export const SCREENSHOTS = fileURLToPath(new URL("../../.artifacts/screenshots/", import.meta.url));

/** Whether the browser tests can run; throws in CI when Chromium is missing. */
export function browserAvailable(): boolean {
  if (existsSync(CHROMIUM)) return true;
  if (process.env["CI"]) throw new Error(`${CHROMIUM} is missing: apt-get install -y chromium`);
  console.warn(`cli: no ${CHROMIUM}; the dashboard browser tests are skipped`);
  return false;
}

/** A browser context in a fresh profile; `close()` ends it and removes the profile. */
export async function openBrowser(): Promise<{
  context: BrowserContext;
  close: () => Promise<void>;
}> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  const profile = mkdtempSync(join(tmpdir(), "cairn-chromium-"));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    viewport: { width: 1280, height: 860 },
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
  return {
    context,
    close: async () => {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}
