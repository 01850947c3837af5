/**
 * The dashboard in a real browser (Chromium, headless) against a Postgres schema seeded by a real
 * engine, served by the built binary (`cairn dashboard`): the workflows list with filters and
 * search, a workflow page (Gantt timeline, attempts, output, error, children tree, events,
 * streams), cancel and resume through the confirmation dialog, a live update pushed by a
 * database notification, queues and executors — with no CSP violation on any page. Screenshots
 * of the main pages are kept in packages/cli/.artifacts/screenshots.
 */
import { createPgStore } from "@cairn/pg-store";
import postgres from "postgres";
import type { BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { browserAvailable, openBrowser, SCREENSHOTS } from "./support/browser.js";
import { cairn, cairnJson, startCairn } from "./support/cli.js";
import { SEEDED, seedStore } from "./support/seed.js";

const databaseUrl = inject("databaseUrl");
const schema = `dash_${Math.random().toString(36).slice(2, 10)}`;
const WAIT = { timeout: 20_000 };

describe.skipIf(!databaseUrl || !browserAvailable())("the dashboard in a browser", () => {
  const url = databaseUrl ?? "";
  const on = (...args: string[]) => [...args, "--url", url, "--schema", schema];
  let server: ReturnType<typeof startCairn>;
  let base = "";
  let token = "";
  let browser: Awaited<ReturnType<typeof openBrowser>>;
  let context: BrowserContext;
  const cspViolations: string[] = [];

  beforeAll(async () => {
    await seedStore(createPgStore({ url, schema, max: 4 }));
    server = startCairn(on("dashboard", "--port", "0"));
    await server.until((out) => /#token=\S+/.test(out));
    const match = /(http:\/\/\S+?\/)#token=(\S+)/.exec(server.stdout());
    base = match?.[1] ?? "";
    token = match?.[2] ?? "";
    browser = await openBrowser();
    context = browser.context;
    context.on("console", (message) => {
      if (/Content Security Policy/i.test(message.text())) cspViolations.push(message.text());
    });
  });

  afterAll(async () => {
    await browser?.close();
    server?.child.kill("SIGINT");
    if (server) expect(await server.exited).toBe(0);
    const admin = postgres(url, { max: 1, onnotice: () => {} });
    await admin.unsafe(`drop schema if exists "${schema}" cascade`);
    await admin.end();
  });

  async function open(hash: string): Promise<Page> {
    const page = await context.newPage();
    await page.goto(`${base}#token=${token}`);
    await page.evaluate((to) => {
      (globalThis as unknown as { location: { hash: string } }).location.hash = to;
    }, hash);
    return page;
  }

  const rowOf = (page: Page, id: string) => page.locator("tbody tr", { hasText: id }).first();

  it("lists the seeded workflows with their statuses, live", async () => {
    const page = await open("#/");
    await page.locator(".live.live").waitFor(WAIT);
    await expect
      .poll(() => rowOf(page, SEEDED.succeeded).locator(".badge").textContent(), WAIT)
      .toBe("SUCCESS");
    expect(await rowOf(page, SEEDED.failed).locator(".badge").textContent()).toBe("ERROR");
    expect(await rowOf(page, SEEDED.waiting).locator(".badge").textContent()).toBe("PENDING");
    expect(page.url()).not.toContain("token="); // taken out of the address bar
    await page.screenshot({ path: `${SCREENSHOTS}dashboard-workflows.png`, fullPage: true });
    await page.close();
  });

  it("filters by status and searches by name", async () => {
    const page = await open("#/");
    await page.selectOption("select[name=status]", "ERROR");
    await page.click("form.filters button[type=submit]");
    await expect.poll(() => page.locator("tbody tr").count(), WAIT).toBe(1);
    expect(await page.locator("tbody tr").first().textContent()).toContain(SEEDED.failed);
    await page.selectOption("select[name=status]", "");
    await page.fill("input[name=search]", "approv");
    await page.click("form.filters button[type=submit]");
    // The previous filter also showed one row: wait for the new row, then count.
    await expect
      .poll(async () => page.locator("tbody tr").first().textContent(), WAIT)
      .toContain(SEEDED.waiting);
    expect(await page.locator("tbody tr").count()).toBe(1);
    await page.fill("input[name=search]", SEEDED.parent);
    await page.click("form.filters button[type=submit]");
    await expect.poll(() => page.locator("tbody tr").count(), WAIT).toBe(3); // with 2 children
    await page.check("input[name=topLevel]");
    await page.click("form.filters button[type=submit]");
    await expect.poll(() => page.locator("tbody tr").count(), WAIT).toBe(1);
    expect(page.url()).toContain("topLevel=1");
    await page.close();
  });

  it("shows a workflow: the Gantt timeline with attempts, output and children", async () => {
    const page = await open(`#/workflow/${SEEDED.succeeded}`);
    const charge = page.locator(".gantt-row[data-step=chargeCard]");
    await charge.waitFor(WAIT);
    expect(await charge.locator(".warn").textContent()).toBe("3"); // third attempt succeeded
    expect(await page.locator(".gantt .bar").count()).toBe(2);
    expect(await page.locator("section", { hasText: "Output" }).textContent()).toContain(
      "ch_order-1001",
    );
    await page.screenshot({ path: `${SCREENSHOTS}dashboard-workflow.png`, fullPage: true });
    await page.close();

    const failed = await open(`#/workflow/${SEEDED.failed}`);
    await failed.locator(".error-box").waitFor(WAIT);
    expect(await failed.locator(".error-box").textContent()).toContain("out of stock");
    expect(await failed.locator(".gantt-row.failed").count()).toBe(1);
    await failed.close();

    const parent = await open(`#/workflow/${SEEDED.parent}`);
    await parent.locator(".tree li").first().waitFor(WAIT);
    expect(await parent.locator(".tree li").count()).toBe(2);
    await parent.close();
  });

  it("cancels and resumes a workflow through the confirmation dialog", async () => {
    const page = await open(`#/workflow/${SEEDED.waiting}`);
    await page.locator("section", { hasText: "Events (1)" }).waitFor(WAIT);
    await page
      .locator("section", { hasText: "Streams (1)" })
      .getByRole("button", { name: "Show values" })
      .click();
    await page.locator(".stream-values tbody tr").nth(1).waitFor(WAIT);
    expect(await page.locator(".stream-values").textContent()).toContain("amount 950");
    await page.screenshot({ path: `${SCREENSHOTS}dashboard-workflow-waiting.png`, fullPage: true });

    await page.getByRole("button", { name: "Cancel…" }).click();
    await page.locator("dialog[open]").waitFor(WAIT);
    await page.screenshot({ path: `${SCREENSHOTS}dashboard-confirm.png` });
    await page.click("#confirm-ok");
    await expect.poll(() => page.locator("h1 .badge").textContent(), WAIT).toBe("CANCELLED");
    const cancelled = await cairnJson<{ status: string }>(on("workflows", "show", SEEDED.waiting));
    expect(cancelled.status).toBe("CANCELLED");

    await page.getByRole("button", { name: "Resume…" }).click();
    await page.click("#confirm-ok");
    await expect.poll(() => page.locator("h1 .badge").textContent(), WAIT).toBe("PENDING");
    const resumed = await cairnJson<{ status: string }>(on("workflows", "show", SEEDED.waiting));
    expect(resumed.status).toBe("PENDING");
    await page.close();
  });

  it("dismissing the dialog changes nothing", async () => {
    const page = await open(`#/workflow/${SEEDED.queued[2]}`);
    await page.getByRole("button", { name: "Cancel…" }).click();
    await page.getByRole("button", { name: "Back" }).click();
    const after = await cairnJson<{ status: string }>(on("workflows", "show", SEEDED.queued[2]));
    expect(after.status).toBe("ENQUEUED");
    await page.close();
  });

  it("updates the list when another process cancels a workflow (database notification)", async () => {
    const page = await open("#/?queue=emails");
    await page.locator(".live.live").waitFor(WAIT);
    await expect
      .poll(() => rowOf(page, SEEDED.queued[1]).locator(".badge").textContent(), WAIT)
      .toBe("ENQUEUED");
    const run = await cairn(on("workflows", "cancel", SEEDED.queued[1]));
    expect(run.code).toBe(0);
    // No reload, no poll on this page: only the notification can bring this change.
    await expect
      .poll(() => rowOf(page, SEEDED.queued[1]).locator(".badge").textContent(), WAIT)
      .toBe("CANCELLED");
    await page.close();
  });

  it("shows queues and executors", async () => {
    const queues = await open("#/queues");
    const emails = queues.locator("tbody tr", { hasText: "emails" });
    await emails.waitFor(WAIT);
    expect(await emails.textContent()).toContain("concurrency 2, 10 per 1m *");
    await queues.screenshot({ path: `${SCREENSHOTS}dashboard-queues.png` });
    await queues.close();
    const executors = await open("#/executors");
    const seedRow = executors.locator("tbody tr", { hasText: "seed-executor" });
    await seedRow.waitFor(WAIT);
    expect(await seedRow.textContent()).toContain("v1.4.2");
    await executors.screenshot({ path: `${SCREENSHOTS}dashboard-executors.png` });
    await executors.close();
  });

  it("loaded every page without a Content Security Policy violation", () => {
    expect(cspViolations).toEqual([]);
  });
});
