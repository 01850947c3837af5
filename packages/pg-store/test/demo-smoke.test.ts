/**
 * Runs the ticket-checkout demo end to end, as `pnpm demo` does after the build: a real child
 * process SIGKILLs itself mid-payment and a second one resumes the checkout from PGlite. Checks
 * the exit code and that the story it tells is the right one.
 */
import { afterAll, expect, it } from "vitest";
import { tempDir } from "./support/databases.js";
import { runExample } from "./support/run-example.js";

const dir = tempDir("demo");
afterAll(() => dir.remove());

it("kills the checkout mid-payment, resumes it, and reports the reservation as skipped", async () => {
  const { code, output } = await runExample("ticket-checkout/src/demo.ts", `${dir.path}/data`);

  expect(code, output).toBe(0);
  expect(output).toMatch(/kills itself \(SIGKILL\)/);
  expect(output).toMatch(/reserveTicket\s+SKIPPED: resumed from the checkpoint/);
  expect(output).toMatch(/processPayment\s+EXECUTED in process 2/);
  expect(output).toMatch(/Result: \{"status":"confirmed"/);
  // The reservation ran once in all (process 1); the payment body twice (once per process).
  expect(output.match(/reserveTicket\s+runs:/g)).toHaveLength(1);
  expect(output.match(/processPayment\s+runs:/g)).toHaveLength(2);
}, 120_000);
