/**
 * Core's half of `ctx.enqueue`, through a stand-in queue plugin (`EnginePlugin.enqueueChild`)
 * that writes the rows it is handed with the workflow store: the row core builds (derived ID,
 * parent, inherited deadline, validated input, app version), the checkpoint at the call's
 * position, a refused check that records nothing, recorded errors, no plugin, and a restart whose
 * replay never calls the write. The real queue runtime: `@cairn/queue`'s child-enqueue tests.
 */
import { describe, expect, expectTypeOf, it } from "vitest";
import { z } from "zod";
import {
  createEngine,
  InvalidOptionError,
  QUEUED_EXECUTOR,
  step,
  workflow,
  WorkflowConflictError,
  type EnginePlugin,
  type QueuedChild,
  type WorkflowStore,
} from "../src/index.js";
import {
  createCrashTest,
  createMemoryStore,
  exportHistory,
  replayHistory,
} from "../src/testing/index.js";
import { gate, recordingLogger } from "./support.js";

const queue = { name: "q" };
const child = workflow(
  { name: "child", input: z.number().int() },
  async (_ctx, n: number) => n * 2,
);
const unregistered = workflow({ name: "unregistered" }, async () => "never");

/** A queue plugin that records the checks and rows it gets and writes rows to `store`. */
function standInQueues(store: WorkflowStore) {
  const rows: QueuedChild[] = [];
  const plugin: EnginePlugin = {
    kind: "test/queues",
    start: () => undefined,
    stop: () => Promise.resolve(),
    enqueueChild(_queue, options) {
      if (options.priority === -1) throw new InvalidOptionError("priority", "refused by the test");
      return async (row) => {
        rows.push(row);
        const { created, workflow: found } = await store.createWorkflow(row);
        if (!created && found.name !== row.name) {
          throw new WorkflowConflictError(row.workflowId, found.name, row.name);
        }
        return found.workflowId;
      };
    },
  };
  return { plugin, rows };
}

describe("ctx.enqueue in core", () => {
  it("hands the plugin the child's row as a start builds it and records the call at its position", async () => {
    const store = createMemoryStore();
    const queues = standInQueues(store);
    const parent = workflow({ name: "parent" }, async (ctx) => {
      const [a, b] = await Promise.all([
        ctx.enqueue(queue, child, 1),
        ctx.enqueue(queue, child, 2, { timeoutMs: 60_000 }),
      ]);
      const named = await ctx.enqueue(queue, child, 3, { id: "named-child" });
      expectTypeOf<Awaited<ReturnType<typeof named.result>>>().toEqualTypeOf<number>();
      return [a.workflowId, b.workflowId, named.workflowId];
    });
    const engine = createEngine({
      store,
      workflows: [parent, child],
      plugins: [queues.plugin],
      appVersion: "v7",
    });
    await engine.launch();
    const ids = await engine.run(parent, undefined, { id: "p", timeoutMs: 3_600_000 });
    expect(ids).toEqual(["p:0", "p:1", "named-child"]);
    const deadlineAt = (await store.getWorkflow("p"))?.deadlineAt;
    expect(deadlineAt).toBeGreaterThan(Date.now());
    const common = {
      name: "child",
      status: "ENQUEUED",
      queueName: "q",
      executorId: QUEUED_EXECUTOR,
      appVersion: "v7",
      parentWorkflowId: "p",
    };
    expect(queues.rows).toMatchObject([
      { ...common, workflowId: "p:0", deadlineAt, input: "[1]" },
      { ...common, workflowId: "p:1", deadlineAt: undefined },
      { ...common, workflowId: "named-child", deadlineAt },
    ]);
    const steps = await engine.listSteps("p");
    expect(steps.map((s) => [s.position, s.name, s.childWorkflowId])).toEqual([
      [0, "enqueue:child", "p:0"],
      [1, "enqueue:child", "p:1"],
      [2, "enqueue:child", "named-child"],
    ]);
    await engine.shutdown();
  });

  it("records nothing and takes no position when the plugin refuses the call", async () => {
    const store = createMemoryStore();
    const queues = standInQueues(store);
    const parent = workflow({ name: "refused" }, async (ctx) => {
      const refused = await ctx.enqueue(queue, child, 1, { priority: -1 }).then(
        () => "enqueued",
        (error: unknown) => (InvalidOptionError.is(error) ? error.option : "other"),
      );
      await ctx.now();
      return refused;
    });
    const engine = createEngine({ store, workflows: [parent, child], plugins: [queues.plugin] });
    await engine.launch();
    await expect(engine.run(parent, undefined, { id: "r" })).resolves.toBe("priority");
    expect((await engine.listSteps("r")).map((s) => [s.position, s.name])).toEqual([
      [0, "cairn.now"],
    ]);
    expect(queues.rows).toEqual([]);
    await engine.shutdown();
  });

  it("records a bad child as the call's outcome, as ctx.start does, with no write", async () => {
    const store = createMemoryStore();
    const queues = standInQueues(store);
    const parent = workflow({ name: "badChildren" }, async (ctx) => {
      const names: string[] = [];
      for (const call of [
        () => ctx.enqueue(queue, child, 1.5), // the schema wants an integer
        () => ctx.enqueue(queue, unregistered, undefined),
        () => ctx.enqueue(queue, child, 1, { id: "r" }), // the parent's own ID: another name
      ]) {
        await call().catch((error: unknown) => names.push((error as Error).name));
      }
      return names;
    });
    const engine = createEngine({ store, workflows: [parent, child], plugins: [queues.plugin] });
    await engine.launch();
    await expect(engine.run(parent, undefined, { id: "r" })).resolves.toEqual([
      "ValidationError",
      "WorkflowNotRegisteredError",
      "WorkflowConflictError",
    ]);
    const steps = await engine.listSteps("r");
    expect(steps.map((s) => [s.name, s.error !== undefined])).toEqual([
      ["enqueue:child", true],
      ["enqueue:unregistered", true],
      ["enqueue:child", true],
    ]);
    expect(queues.rows.map((row) => row.workflowId)).toEqual(["r"]); // only the conflicting one
    await engine.shutdown();
  });

  it("is an InvalidOptionError with nothing recorded when no plugin enqueues children", async () => {
    const store = createMemoryStore();
    const parent = workflow({ name: "noQueues" }, async (ctx) =>
      ctx.enqueue(queue, child, 1).then(
        () => "enqueued",
        (error: unknown) => (InvalidOptionError.is(error) ? error.option : "other"),
      ),
    );
    const engine = createEngine({ store, workflows: [parent, child] });
    await engine.launch();
    await expect(engine.run(parent, undefined, { id: "n" })).resolves.toBe("queue");
    expect(await engine.listSteps("n")).toEqual([]);
    await engine.shutdown();
  });

  it("replays the recorded enqueue after a restart without calling the write", async () => {
    const store = createMemoryStore();
    const queues = standInQueues(store);
    const firstLife = gate();
    let lives = 0;
    const afterEnqueue = step("afterEnqueue", async () => {
      lives += 1;
      if (lives === 1) await firstLife.wait; // the first process dies here
      return lives;
    });
    const parent = workflow({ name: "restarted" }, async (ctx) => {
      // Refused on every run (checked again on replay), it never takes the next call's position.
      await ctx.enqueue(queue, child, 3, { priority: -1 }).catch(() => undefined);
      const handle = await ctx.enqueue(queue, child, 4);
      return { child: handle.workflowId, lives: await afterEnqueue(ctx) };
    });
    const test = createCrashTest({
      store,
      workflows: [parent, child],
      plugins: [queues.plugin],
      logger: recordingLogger(),
    });
    const engine = await test.launch();
    await engine.start(parent, undefined, { id: "c" });
    await expect.poll(() => lives, { timeout: 10_000 }).toBe(1);
    const restarted = await test.restart();
    await expect(restarted.retrieve(parent, "c").result()).resolves.toEqual({
      child: "c:0",
      lives: 2,
    });
    expect(queues.rows.map((row) => row.workflowId)).toEqual(["c:0"]);
    firstLife.open();
    await restarted.shutdown();
  });

  it("replays a recorded enqueue on an engine without a queue plugin (replayHistory)", async () => {
    const store = createMemoryStore();
    const queues = standInQueues(store);
    const parent = workflow({ name: "replayed" }, async (ctx) => {
      const handle = await ctx.enqueue(queue, child, 2);
      return [handle.workflowId, await ctx.now()];
    });
    const engine = createEngine({ store, workflows: [parent, child], plugins: [queues.plugin] });
    await engine.launch();
    await engine.run(parent, undefined, { id: "h" });
    const history = await exportHistory(store, "h");
    await engine.shutdown();
    const whole = await replayHistory(parent, history, { workflows: [child] });
    expect(whole).toMatchObject({ replayed: 2, finished: true });
    // A history that ends at the enqueue: the replay stops there, it does not ask for a plugin.
    const cut = { ...history, status: "PENDING" as const, steps: [], children: [] };
    const { output: _output, ...unfinished } = cut;
    expect(await replayHistory(parent, unfinished)).toMatchObject({ replayed: 0, finished: false });
  });
});
