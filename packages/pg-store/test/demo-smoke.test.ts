/**
 * Runs the ticket-checkout demo end to end, as `pnpm demo` does after the build: a real child
 * process SIGKILLs itself mid-payment and a second one resumes the checkout from PGlite. Checks
 * the exit code and that the story it tells is the right one.
 */
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { afterAll, expect, it } from "vitest";
import { tempDir } from "./support/databases.js";

const repoRoot = fileURLToPath(new URL("../../../", import.meta.url));
const demo = fileURLToPath(
  new URL("../../../examples/ticket-checkout/src/demo.ts", import.meta.url),
);
const dir = tempDir("demo");
afterAll(() => dir.remove());

function runDemo(): Promise<{ code: number | null; output: string }> {
  const child = spawn(process.execPath, ["--import", "tsx", demo], {
    cwd: repoRoot,
    env: { ...process.env, CAIRN_DEMO_DATA_DIR: `${dir.path}/data` },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout.setEncoding("utf8").on("data", (chunk: string) => (output += chunk));
  child.stderr.setEncoding("utf8").on("data", (chunk: string) => (output += chunk));
  return new Promise((resolve) => child.on("close", (code) => resolve({ code, output })));
}

it("kills the checkout mid-payment, resumes it, and reports the reservation as skipped", async () => {
  const { code, output } = await runDemo();

  expect(code, output).toBe(0);
  expect(output).toMatch(/kills itself \(SIGKILL\)/);
  expect(output).toMatch(/reserveTicket\s+SKIPPED: resumed from the checkpoint/);
  expect(output).toMatch(/processPayment\s+EXECUTED in process 2/);
  expect(output).toMatch(/Result: \{"status":"confirmed"/);
  // The reservation ran once in all (process 1); the payment body twice (once per process).
  expect(output.match(/reserveTicket\s+runs:/g)).toHaveLength(1);
  expect(output.match(/processPayment\s+runs:/g)).toHaveLength(2);
}, 120_000);
