import { describe, expect, it } from "vitest";
import { createEngine, workflow, type EngineObserver } from "../src/index.js";
import { createMemoryStore } from "../src/testing/index.js";
import { gate, recordingLogger } from "./support.js";

/** Polls `condition` until it holds (no wall-clock assertion: the test's timeout bounds it). */
async function until(condition: () => boolean | Promise<boolean>): Promise<void> {
  while (!(await condition())) await new Promise((resolve) => setTimeout(resolve, 5));
}

/** Counts the runs in memory from the engine's events: recovered or started, until they end. */
function runCounter(): EngineObserver & { now: number; most: number } {
  const counter = {
    now: 0,
    most: 0,
    onEvent(event: { type: string }) {
      if (event.type === "workflow.recovered" || event.type === "workflow.started") {
        counter.most = Math.max(counter.most, ++counter.now);
      } else if (event.type === "workflow.finished" || event.type === "workflow.failed") {
        counter.now--;
      }
    },
  };
  return counter;
}

describe("recovery at launch within runCapacity", () => {
  it("runs at most runCapacity of the claimed workflows at once; the rest wait PENDING and all complete", async () => {
    const store = createMemoryStore();
    const release = gate();
    let entered = 0;
    const held = workflow("held", async (_ctx, n: number) => {
      entered++;
      await release.wait;
      return n;
    });
    const ids = Array.from({ length: 7 }, (_, n) => `left-${n}`);
    for (const [n, workflowId] of ids.entries()) {
      // PENDING for this executor, as a process that died mid-run left them.
      await store.createWorkflow({ workflowId, name: "held", input: `[${n}]`, executorId: "e-1" });
    }
    const counter = runCounter();
    const logger = recordingLogger();
    const engine = createEngine({
      store: { ...store, exclusive: false },
      workflows: [held],
      executorId: "e-1",
      logger,
      observers: [counter],
      runCapacity: 2,
      pollIntervalMs: 10, // the poll must not pick up what waits for room either
    });
    const report = await engine.launch();
    try {
      expect([...report.recovered].sort()).toEqual(ids);
      await until(() => entered >= 2);
      // Polls that could have run the rest came and went: still two.
      const polls = store.calls.listWorkflows;
      await until(() => store.calls.listWorkflows >= polls + 3);
      expect(entered).toBe(2);
      const pending = await store.listWorkflows({ status: "PENDING", limit: 100 });
      expect(pending).toHaveLength(7);
      release.open();
      const results = await Promise.all(ids.map((id) => engine.retrieve(id).result()));
      expect(results).toEqual(ids.map((_, n) => n));
      expect(counter.most).toBe(2);
    } finally {
      release.open();
      await engine.shutdown();
    }
  });

  it("counts a recovery attempt only for the claimed workflows it runs, each when it runs", async () => {
    const store = createMemoryStore();
    const release = gate();
    const held = workflow("held", async (_ctx, n: number) => {
      await release.wait;
      return n;
    });
    const ids = Array.from({ length: 5 }, (_, n) => `left-${n}`);
    for (const [n, workflowId] of ids.entries()) {
      await store.createWorkflow({ workflowId, name: "held", input: `[${n}]`, executorId: "e-1" });
    }
    const attempts = async () =>
      Promise.all(ids.map(async (id) => (await store.getWorkflow(id))?.recoveryAttempts));
    const engine = createEngine({
      store,
      workflows: [held],
      executorId: "e-1",
      logger: recordingLogger(),
      runCapacity: 2,
      pollIntervalMs: 10,
    });
    const report = await engine.launch();
    try {
      expect(report.recovered).toEqual(ids);
      // Oldest first: the two with room were counted, the three waiting were not.
      expect(await attempts()).toEqual([1, 1, 0, 0, 0]);
      release.open();
      await Promise.all(ids.map((id) => engine.retrieve(id).result()));
      expect(await attempts()).toEqual([1, 1, 1, 1, 1]);
    } finally {
      release.open();
      await engine.shutdown();
    }
  });

  it("counts one attempt for a page whose history read failed after its claim: the poll runs it", async () => {
    const store = createMemoryStore();
    const release = gate();
    let bodies = 0;
    const capped = workflow(
      { name: "capped", maxRecoveryAttempts: 1 },
      async (_ctx, hold?: boolean) => {
        bodies++;
        if (hold === true) await release.wait;
        return "ran";
      },
    );
    // c-1 takes the only room; c-2 waits, and its page's claim counts its one attempt.
    await store.createWorkflow({
      workflowId: "c-1",
      name: "capped",
      input: "[true]",
      executorId: "e-1",
    });
    await store.createWorkflow({
      workflowId: "c-2",
      name: "capped",
      input: "-1",
      executorId: "e-1",
    });
    let failed = false;
    const engine = createEngine({
      store: {
        ...store,
        exclusive: false,
        async listStepsOf(workflowIds) {
          if (!failed && workflowIds.includes("c-2")) {
            failed = true; // after the page's claim committed
            throw new Error("connection lost mid-read");
          }
          return store.listStepsOf!(workflowIds);
        },
      },
      workflows: [capped],
      executorId: "e-1",
      logger: recordingLogger(),
      runCapacity: 1,
      pollIntervalMs: 10,
    });
    await engine.launch();
    try {
      release.open();
      // Claimed again, it would count a second attempt and be dead-lettered unrun.
      await expect(engine.retrieve("c-2").result()).resolves.toBe("ran");
      expect(failed).toBe(true);
      expect(bodies).toBe(2);
      expect((await store.getWorkflow("c-2"))?.recoveryAttempts).toBe(1);
    } finally {
      release.open();
      await engine.shutdown();
    }
  });

  it("runs a claimed child before its claimed parent, so a parent waiting on it never holds the only room", async () => {
    const store = createMemoryStore();
    const order: string[] = [];
    const child = workflow("child", async (ctx) => {
      order.push(ctx.workflowId);
      return 2;
    });
    const parent = workflow("parent", async (ctx) => {
      order.push(ctx.workflowId);
      const handle = await ctx.start(child, undefined);
      return 1 + (await handle.result());
    });
    // The parent's start of its child was created, its checkpoint lost in the crash.
    await store.createWorkflow({ workflowId: "p", name: "parent", input: "-1", executorId: "e-1" });
    await store.createWorkflow({
      workflowId: "p:0",
      name: "child",
      input: "-1",
      executorId: "e-1",
      parentWorkflowId: "p",
    });
    const engine = createEngine({
      store,
      workflows: [parent, child],
      executorId: "e-1",
      logger: recordingLogger(),
      runCapacity: 1,
      pollIntervalMs: 10,
    });
    await engine.launch();
    try {
      // Parent first, with room for one run, would wait forever on a child left waiting.
      expect(await engine.retrieve("p").result()).toBe(3);
      expect(order).toEqual(["p:0", "p"]);
    } finally {
      await engine.shutdown();
    }
  });

  it("reads the histories of the workflows it recovers in one store call, not one per workflow", async () => {
    const store = createMemoryStore();
    const step = workflow("two-steps", async (ctx) => {
      const a = await ctx.now();
      const b = await ctx.random();
      return typeof a === "number" && typeof b === "number";
    });
    for (let n = 0; n < 20; n++) {
      const workflowId = `half-${n}`;
      await store.createWorkflow({ workflowId, name: "two-steps", input: "-1", executorId: "e-1" });
      // The first step was recorded before the crash.
      await store.recordStep({
        workflowId,
        position: 0,
        name: "cairn.now",
        output: "[1]",
        error: undefined,
        childWorkflowId: undefined,
        attempts: 1,
        startedAt: 1,
        completedAt: 1,
      });
    }
    const engine = createEngine({
      store,
      workflows: [step],
      executorId: "e-1",
      logger: recordingLogger(),
      pollIntervalMs: 60_000,
    });
    const stepsRead = store.calls.listSteps;
    await engine.launch();
    try {
      const results = await engine.waitAll(
        Array.from({ length: 20 }, (_, n) => engine.retrieve(`half-${n}`)),
      );
      expect(results).toHaveLength(20);
      expect(store.calls.listStepsOf).toBe(1);
      expect(store.calls.listSteps).toBe(stepsRead);
    } finally {
      await engine.shutdown();
    }
  });
});
