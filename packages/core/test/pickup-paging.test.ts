import { describe, expect, it } from "vitest";
import { createEngine, workflow } from "../src/index.js";
import { createMemoryStore } from "../src/testing/index.js";
import { gate, recordingLogger } from "./support.js";

/** Polls `condition` until it holds (no wall-clock assertion: the test's timeout bounds it). */
async function until(condition: () => boolean | Promise<boolean>): Promise<void> {
  while (!(await condition())) await new Promise((resolve) => setTimeout(resolve, 5));
}

/**
 * "held" runs wait for the gate and count how many run at once; "opener" opens the gate. The
 * straggler tests assign an "opener" here without a notification while held runs fill the room.
 */
function heldAndOpener() {
  const release = gate();
  const counts = { inFlight: 0, most: 0 };
  const held = workflow("held", async (_ctx, n: number) => {
    counts.most = Math.max(counts.most, ++counts.inFlight);
    await release.wait;
    counts.inFlight--;
    return n;
  });
  const opener = workflow("opener", async () => {
    release.open();
    return "opened";
  });
  return { release, counts, held, opener };
}

/** Assigns workflow "missed" to e1 without a notification, as one lost with a dropped connection. */
async function assignMissed(
  store: ReturnType<typeof createMemoryStore>,
  name: string,
  input: string,
): Promise<void> {
  await store.createWorkflow({
    workflowId: "missed",
    name,
    input,
    executorId: "e1",
    notify: false,
  });
}

describe("the poll's pickup", () => {
  it("finds a workflow whose notification it missed while running more than a page of others", async () => {
    const store = createMemoryStore();
    const release = gate();
    let running = 0;
    const held = workflow("held", async (_ctx, n: number) => {
      running++;
      await release.wait;
      return n;
    });
    const quick = workflow("quick", async (_ctx, n: number) => n + 1);
    const engine = createEngine({
      store,
      workflows: [held, quick],
      executorId: "e1",
      logger: recordingLogger(),
      pollIntervalMs: 10,
    });
    await engine.launch();
    try {
      // More than the poll's page of 100, all older than the one it must find.
      for (let i = 0; i < 120; i++) await engine.start(held, i);
      await until(() => running === 120);
      await assignMissed(store, "quick", "[1]"); // 1, serialized
      await until(async () => (await store.getWorkflow("missed"))?.status === "SUCCESS");
      expect(running).toBe(120); // none of the held ones was started twice
    } finally {
      release.open();
      await engine.shutdown();
    }
  });

  it("runs a straggler assigned here while recovered workflows wait for room, even one they wait on", async () => {
    const store = createMemoryStore();
    // The opener is the one the held runs wait for: its notification was lost.
    const { release, counts, held, opener } = heldAndOpener();
    for (let n = 0; n < 3; n++) {
      // PENDING for this executor, as a process that died mid-run left them.
      await store.createWorkflow({
        workflowId: `left-${n}`,
        name: "held",
        input: `[${n}]`,
        executorId: "e1",
      });
    }
    const engine = createEngine({
      store,
      workflows: [held, opener],
      executorId: "e1",
      logger: recordingLogger(),
      runCapacity: 1,
      pollIntervalMs: 10,
    });
    await engine.launch();
    try {
      await until(() => counts.inFlight === 1);
      await assignMissed(store, "opener", "-1"); // undefined, serialized
      expect(await engine.retrieve("missed").result()).toBe("opened");
      expect(
        await Promise.all([0, 1, 2].map((n) => engine.retrieve(`left-${n}`).result())),
      ).toEqual([0, 1, 2]);
      expect(counts.most).toBe(1); // the poll ran none of those waiting for room
    } finally {
      release.open();
      await engine.shutdown();
    }
  });

  it("runs a straggler assigned here while a bulk start waits in the store for room", async () => {
    const store = createMemoryStore();
    const { release, counts, held, opener } = heldAndOpener();
    const engine = createEngine({
      store,
      workflows: [held, opener],
      executorId: "e1",
      logger: recordingLogger(),
      runCapacity: 2,
      pollIntervalMs: 10,
    });
    await engine.launch();
    try {
      const handles = await engine.startMany(
        held,
        [0, 1, 2, 3, 4].map((input) => ({ input })),
      );
      await until(() => counts.inFlight === 2);
      // A row of the batch's millisecond would be one of the batch's (read back with it).
      const batchDone = Date.now();
      await until(() => Date.now() > batchDone);
      await assignMissed(store, "opener", "-1");
      expect(await engine.retrieve("missed").result()).toBe("opened");
      expect(await Promise.all(handles.map((h) => h.result()))).toEqual([0, 1, 2, 3, 4]);
      expect(counts.most).toBe(2);
    } finally {
      release.open();
      await engine.shutdown();
    }
  });
});
