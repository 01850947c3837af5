/**
 * Runs the approval example end to end, as `pnpm --filter approval-example start` does: two
 * expense requests on PGlite, the humans played from outside through the typed handle. Checks
 * the exit code and that the story is the right one: the malformed decision refused, the first
 * request approved by the manager, the second escalated on the manager's timeout and decided by
 * the director.
 */
import { afterAll, expect, it } from "vitest";
import { tempDir } from "./support/databases.js";
import { runExample } from "./support/run-example.js";

const dir = tempDir("approval");
afterAll(() => dir.remove());

it("approves one expense, escalates the other on timeout, and refuses a malformed decision", async () => {
  const { code, output } = await runExample("approval/src/main.ts", `${dir.path}/data`);

  expect(code, output).toBe(0);
  expect(output).toMatch(/refused: ValidationError, nothing stored/);
  expect(output).toMatch(/\[exp-1\] approved\s+approved by Maya \(manager\)/);
  expect(output).toContain(`{"approved":true,"decidedBy":"Maya (manager)","escalated":false}`);
  expect(output).toMatch(/\[exp-2\] escalated\s+no answer from the manager/);
  expect(output).toMatch(/\[exp-2\] rejected\s+rejected by Dana \(director\) \(over budget\)/);
  expect(output).toContain(`{"approved":false,"decidedBy":"Dana (director)","escalated":true}`);
  expect(output).toContain("All requests: exp-1 SUCCESS, exp-2 SUCCESS");
  // Each person was asked once: the steps ran once each.
  expect(output.match(/✉ manager asked/g)).toHaveLength(2);
  expect(output.match(/✉ director asked/g)).toHaveLength(1);
}, 120_000);
