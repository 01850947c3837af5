/**
 * The expense approval, tested with Cairn's testing kit: a virtual clock (a day of waiting in
 * milliseconds), crash injection (the process dies right after the manager was asked) and a
 * replay test (runs recorded by v1 still resume on the current code).
 */
import { readFileSync } from "node:fs";
import { createEngine, NonDeterminismError, step, workflow } from "@cairn/core";
import {
  createCrashTest,
  createMemoryStore,
  createVirtualClock,
  replayHistory,
  type WorkflowHistory,
} from "@cairn/core/testing";
import { afterEach, describe, expect, it } from "vitest";
import { createExpenseApproval, type Expense } from "../src/expense.js";

const monitor: Expense = { employee: "Ben", description: "a 4K monitor", amountCents: 61_900 };
const quiet = { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} };
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

/** The workflow around a notifier that remembers who was asked. */
function approvalWithInbox() {
  const asked: string[] = [];
  const approval = createExpenseApproval({ ask: async (person) => void asked.push(person) });
  return { approval, asked };
}

describe("expense approval on a virtual clock", () => {
  it("escalates after a silent day and rejects after three more, without waiting for real", async () => {
    const clock = createVirtualClock();
    const { approval, asked } = approvalWithInbox();
    const engine = createEngine({
      store: createMemoryStore(),
      workflows: [approval],
      clock,
      logger: quiet,
    });
    cleanups.push(() => engine.shutdown());
    await engine.launch();
    const handle = await engine.start(approval, monitor, { id: "exp-1" });

    await clock.untilSleeping(); // waiting for the manager
    await clock.advance("23h");
    expect(await handle.getEvent("status")).toBe("waiting-for-manager");
    await clock.advance("1h");
    await clock.untilSleeping(); // escalated: waiting for the director
    expect(await handle.getEvent("status")).toBe("escalated");
    await clock.advance("3d");

    expect(await handle.result()).toEqual({
      approved: false,
      decidedBy: "nobody",
      escalated: true,
    });
    expect(asked).toEqual(["manager", "director"]);
  });

  it("takes the manager's decision when it comes in time", async () => {
    const clock = createVirtualClock();
    const { approval, asked } = approvalWithInbox();
    const engine = createEngine({
      store: createMemoryStore(),
      workflows: [approval],
      clock,
      logger: quiet,
    });
    cleanups.push(() => engine.shutdown());
    await engine.launch();
    const handle = await engine.start(approval, monitor, { id: "exp-2" });
    await clock.untilSleeping();
    await clock.advance("20h");
    await handle.send("decision", { approved: true, by: "Maya" });
    expect(await handle.result()).toEqual({ approved: true, decidedBy: "Maya", escalated: false });
    expect(asked).toEqual(["manager"]);
  });
});

describe("expense approval across a crash", () => {
  it("asks the manager once even when the process dies right after asking", async () => {
    const { approval, asked } = approvalWithInbox();
    const test = createCrashTest({ workflows: [approval], logger: quiet });
    await test.launch();
    const crashed = test.crashAfterSteps(1); // askManager is recorded, then the process dies
    await test.engine.start(approval, monitor, { id: "exp-3" });
    await crashed;
    expect(asked).toEqual(["manager"]);

    const engine = await test.restart();
    cleanups.push(() => engine.shutdown());
    await engine.send("exp-3", "decision", { approved: true, by: "Maya" });
    expect(await engine.retrieve("exp-3").result()).toEqual({
      approved: true,
      decidedBy: "Maya",
      escalated: false,
    });
    expect(asked).toEqual(["manager"]); // not asked again on recovery
  });
});

describe("expense approval replays v1 histories", () => {
  const v1 = JSON.parse(
    readFileSync(new URL("./fixtures/expense-approval-v1.json", import.meta.url), "utf8"),
  ) as WorkflowHistory;

  it("resumes runs recorded by v1 on the current code", async () => {
    const { approval, asked } = approvalWithInbox();
    await expect(replayHistory(approval, v1)).resolves.toMatchObject({ finished: true });
    expect(asked).toEqual([]); // replay runs no step body
  });

  it("catches a change that would break them: asking a team lead before the manager", async () => {
    const askTeamLead = step("askTeamLead", async (id: string) => id);
    const changed = workflow("expense-approval", async (ctx) => {
      await askTeamLead(ctx, ctx.workflowId);
      return { approved: false, decidedBy: "nobody", escalated: false };
    });
    const error: unknown = await replayHistory(changed, v1).catch((caught: unknown) => caught);
    expect(NonDeterminismError.is(error)).toBe(true);
    expect(error).toMatchObject({ position: 0, calledName: "askTeamLead" });
  });
});
