/**
 * Recovery at launch leaves what has no room PENDING and claims it a page at a time as room
 * frees, counting its recovery attempt then. A poll that read such a workflow while it waited
 * holds a row from before that page claim: it must not run it (the claim may have dead-lettered
 * it, or moved its epoch and started it).
 */
import { expect, it } from "vitest";
import { createEngine, workflow, type WorkflowStore } from "../src/index.js";
import { createMemoryStore } from "../src/testing/index.js";
import { forever, gate, recordingLogger } from "./support.js";

async function until(condition: () => Promise<boolean>): Promise<void> {
  while (!(await condition())) await new Promise((resolve) => setTimeout(resolve, 5));
}

it("a poll that read a waiting workflow before its page claim dead-lettered it does not run it", async () => {
  const store = createMemoryStore();
  const releaseHeld = gate();
  let victimRuns = 0;
  const held = workflow("held", async () => {
    await releaseHeld.wait;
    return 1;
  });
  // Crashes the process whenever it runs (here: never returns); at its limit already.
  const victim = workflow({ name: "victim", maxRecoveryAttempts: 2 }, async () => {
    victimRuns++;
    return forever();
  });
  await store.createWorkflow({ workflowId: "a", name: "held", input: "-1", executorId: "e1" });
  await new Promise((resolve) => setTimeout(resolve, 3)); // "a" is older: recovered first
  await store.createWorkflow({ workflowId: "x", name: "victim", input: "-1", executorId: "e1" });
  const claim = { executorId: "e1", names: ["victim"], maxRecoveryAttempts: {} };
  await store.claimRecoverable({ ...claim, workflowIds: ["x"] });
  await store.claimRecoverable({ ...claim, workflowIds: ["x"] });
  expect((await store.getWorkflow("x"))?.recoveryAttempts).toBe(2);

  let trap = false;
  let reads = 0;
  const pollRead = gate();
  const answer = gate();
  const wrapped = {
    ...store,
    exclusive: false,
    async listRunnable(...args: Parameters<NonNullable<WorkflowStore["listRunnable"]>>) {
      const rows = await store.listRunnable(...args);
      reads++;
      if (trap && rows.some((r) => r.workflowId === "x")) {
        trap = false;
        pollRead.open();
        await answer.wait; // the read's round trip, while the recovered page is claimed
      }
      return rows;
    },
  } as WorkflowStore;
  const engine = createEngine({
    store: wrapped,
    workflows: [held, victim],
    executorId: "e1",
    logger: recordingLogger(),
    runCapacity: 1, // "a" runs; "x" waits for room
    pollIntervalMs: 10,
    suspendAfterMs: Number.POSITIVE_INFINITY,
    shutdownGraceMs: 0,
  });
  await engine.launch();
  try {
    trap = true;
    await pollRead.wait; // a poll read "x" PENDING, waiting for room
    releaseHeld.open(); // "a" ends: room; the page claim counts x's third attempt
    await until(async () => (await store.getWorkflow("x"))?.status === "DEAD_LETTER");
    const before = reads;
    answer.open(); // the poll goes on with its row from before the claim
    await until(() => Promise.resolve(reads > before)); // polls run one at a time: it is done
    expect(victimRuns).toBe(0);
  } finally {
    releaseHeld.open();
    answer.open();
    await engine.shutdown();
  }
});
