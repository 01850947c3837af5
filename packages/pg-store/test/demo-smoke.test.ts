/**
 * Runs the ticket-checkout demo end to end, as `pnpm demo` does after the build: a real child
 * process reserves a ticket in a transaction, is declined by the payment provider and SIGKILLs
 * itself inside the undo transaction; a second one resumes the checkout from PGlite. Checks the
 * exit code and that the story it tells is the right one: nothing reserved or charged twice, the
 * undo committed once.
 */
import { afterAll, expect, it } from "vitest";
import { tempDir } from "./support/databases.js";
import { runExample } from "./support/run-example.js";

const dir = tempDir("demo");
afterAll(() => dir.remove());

it("kills the checkout inside its undo, and recovery neither reserves nor charges twice", async () => {
  const { code, output } = await runExample("ticket-checkout/src/demo.ts", `${dir.path}/data`);

  expect(code, output).toBe(0);
  expect(output).toMatch(/kills itself \(SIGKILL\) inside the undo transaction/);
  expect(output).toMatch(/held by "order-1",\s+its log reads \["reserved"\]/);
  expect(output).toMatch(/reserveTicket\s+SKIPPED/);
  expect(output).toMatch(/processPayment\s+SKIPPED/);
  expect(output).toMatch(/undoReserveTicket\s+EXECUTED in process 2, once/);
  expect(output).toMatch(/Ticket A12: held by null, log \["reserved","released"\]/);
  expect(output).toMatch(/Payment provider: 1 charge request\(s\) in all/);
  expect(output.match(/reserveTicket\s+runs/g)).toHaveLength(1);
  expect(output.match(/undoReserveTicket\s+runs/g)).toHaveLength(2);
}, 180_000);
