/**
 * Runs the effect-order demo end to end, as `pnpm demo:effect` does after the build: process 1
 * SIGKILLs itself while compensating a declined payment, process 2 recovers the order from
 * PGlite. Checks the exit code and that the story it tells is the right one.
 */
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, expect, it } from "vitest";

const repoRoot = fileURLToPath(new URL("../../../", import.meta.url));
const dir = mkdtempSync(join(tmpdir(), "cairn-effect-demo-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function runDemo(): Promise<{ code: number | null; output: string }> {
  const script = join(repoRoot, "examples/effect-order/src/demo.ts");
  const child = spawn(process.execPath, ["--import", "tsx", script], {
    cwd: repoRoot,
    env: { ...process.env, CAIRN_DEMO_DATA_DIR: join(dir, "data") },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout.setEncoding("utf8").on("data", (chunk: string) => (output += chunk));
  child.stderr.setEncoding("utf8").on("data", (chunk: string) => (output += chunk));
  return new Promise((resolve) => child.on("close", (code) => resolve({ code, output })));
}

it("kills the order mid-compensation, recovers it, and reports the same typed failure", async () => {
  const { code, output } = await runDemo();

  expect(code, output).toBe(0);
  expect(output).toMatch(/process 1 kills itself \(SIGKILL\)/);
  expect(output).toMatch(/Result: order A-1: refused, PaymentDeclined \(insufficient funds\)/);
  expect(output).toMatch(/Result: order A-2: paid \(rcpt-12900\)/);
  // reserveStock and charge ran once for A-1 (process 1 only); the release ran in both.
  expect(output.match(/reserveStock runs: lamp/g)).toHaveLength(1);
  expect(output.match(/the bank declines/g)).toHaveLength(1);
  expect(output.match(/releasing res-lamp/g)).toHaveLength(2);
  expect(output.match(/res-lamp released/g)).toHaveLength(1);
}, 180_000);
