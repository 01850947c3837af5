/**
 * `ctx.enqueue` end to end on the memory stores: a workflow fans children out through a queue
 * and awaits them, the queue's limits hold for them, a replay enqueues nothing, cancelling the
 * parent cancels its queued children, they inherit its deadline, and a bad call is a typed error
 * with nothing written. The same on Postgres and PGlite, and the kill -9 test:
 * `@cairn/pg-store`'s test/queue/child-enqueue*.test.ts.
 */
import {
  createEngine,
  InvalidOptionError,
  step,
  ValidationError,
  workflow,
  WorkflowNotRegisteredError,
  type AnyWorkflow,
  type AnyWorkflowContext,
  type Engine,
  type EnginePlugin,
} from "@cairn/core";
import { createMemoryStore, type MemoryStore } from "@cairn/core/testing";
import { afterEach, describe, expect, it, vi } from "vitest";
import { z } from "zod";
import { createQueues, defineQueue, type Queue, type QueueRuntime } from "../src/index.js";
import type { QueueStore } from "../src/queue-store.js";
import { createMemoryQueueStore } from "../src/testing/index.js";

const quiet = { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} };
const WAIT = { timeout: 10_000, interval: 5 }; // a hang guard, never a timing assumption

let ran: string[] = [];
let gates = new Map<string, { opened: Promise<void>; open: () => void }>();
const gate = (label: string) => {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => (open = resolve));
  gates.set(label, { opened, open });
};

const work = step("work", async (label: string) => {
  ran.push(label);
  await gates.get(label)?.opened;
  return label.toUpperCase();
});
const job = workflow({ name: "job", input: z.string().min(1) }, async (ctx, label: string) =>
  work(ctx, label),
);
const unregistered = workflow({ name: "unregistered" }, async () => "never");

const fanOutQueue = defineQueue("fan-out", {
  concurrency: 2,
  rateLimit: { limit: 3, periodMs: 3_600_000 },
});
/** Enqueues one child per label, then waits for all of them. */
const fanOut = workflow({ name: "fanOut" }, async (ctx, labels: string[]) => {
  const handles = await Promise.all(labels.map((label) => ctx.enqueue(fanOutQueue, job, label)));
  return Promise.all(handles.map((handle) => handle.result()));
});

const engines: Engine[] = [];
afterEach(async () => {
  for (const g of gates.values()) g.open();
  await Promise.all(engines.splice(0).map((e) => e.shutdown()));
  ran = [];
  gates = new Map();
});

/** The memory queue store, counting the enqueues that reach it. */
function countingQueueStore(store: MemoryStore): { queues: QueueStore; enqueued: string[] } {
  const queues = createMemoryQueueStore(store);
  const enqueued: string[] = [];
  return {
    enqueued,
    queues: {
      ...queues,
      enqueue: (item, options) => {
        enqueued.push(item.workflow.workflowId);
        return queues.enqueue(item, options);
      },
    },
  };
}

interface Launch {
  readonly queues?: QueueStore;
  readonly serve?: readonly Queue[];
  readonly workflows?: readonly AnyWorkflow[];
  readonly plugins?: readonly EnginePlugin[];
  readonly executorId?: string;
}

async function launch(store: MemoryStore, options: Launch = {}): Promise<Engine> {
  const runtime: QueueRuntime = createQueues({
    store: options.queues ?? createMemoryQueueStore(store),
    serve: options.serve ?? [],
    shutdownGraceMs: 0,
  });
  const engine = createEngine({
    // Its shutdown leaves the store open, so a later engine can take over as after a restart.
    store: Object.create(store, { close: { value: () => Promise.resolve() } }) as MemoryStore,
    workflows: options.workflows ?? [fanOut, job],
    logger: quiet,
    plugins: options.plugins ?? [runtime],
    shutdownGraceMs: 0,
    ...(options.executorId === undefined ? {} : { executorId: options.executorId }),
  });
  engines.push(engine);
  await engine.launch();
  return engine;
}

describe("ctx.enqueue on the memory stores", () => {
  it("fans children out through the queue, within its limits, and awaits all their results", async () => {
    const store = createMemoryStore();
    const engine = await launch(store, { serve: [fanOutQueue] });
    for (const label of ["a", "b", "c", "d"]) gate(label);
    const parent = await engine.start(fanOut, ["a", "b", "c", "d"], { id: "parent" });
    // concurrency 2: two children run, the other two wait in the queue.
    await vi.waitFor(
      async () =>
        expect(await fanOutQueue.counts(engine)).toMatchObject({ PENDING: 2, ENQUEUED: 2 }),
      WAIT,
    );
    expect(ran).toHaveLength(2);
    for (const label of ran) gates.get(label)?.open();
    // rateLimit 3 an hour: the third child starts, the fourth waits for the window.
    await vi.waitFor(() => expect(ran).toHaveLength(3), WAIT);
    gates.get(ran[2] ?? "")?.open();
    await vi.waitFor(
      async () => expect(await fanOutQueue.counts(engine)).toMatchObject({ SUCCESS: 3 }),
      WAIT,
    );
    expect(await fanOutQueue.counts(engine)).toMatchObject({ ENQUEUED: 1, PENDING: 0 });
    expect(ran).toHaveLength(3);
    // Lifting the rate limit lets the last one run; the parent gets every result, in order.
    await engine
      .plugin<QueueRuntime>("cairn/queues")
      ?.setQueueLimits("fan-out", { rateLimit: null });
    gates.get("a")?.open();
    gates.get("b")?.open();
    gates.get("c")?.open();
    gates.get("d")?.open();
    await expect(parent.result()).resolves.toEqual(["A", "B", "C", "D"]);
    const children = await engine.listWorkflows({ parentWorkflowId: "parent" });
    expect(children.map((c) => c.workflowId).sort()).toEqual([
      "parent:0",
      "parent:1",
      "parent:2",
      "parent:3",
    ]);
    expect(children.every((c) => c.queueName === "fan-out")).toBe(true);
  });

  it("does not enqueue again when the parent replays after a restart", async () => {
    const store = createMemoryStore();
    const first = countingQueueStore(store);
    // Nobody serves the queue yet: the children wait, and so does the parent.
    const before = await launch(store, { queues: first.queues, executorId: "host" });
    const parent = await before.start(fanOut, ["x", "y", "z"], { id: "p" });
    await vi.waitFor(() => expect(first.enqueued).toHaveLength(3), WAIT);
    await vi.waitFor(async () => expect((await before.listSteps("p")).length).toBe(3), WAIT);
    await before.shutdown();

    const second = countingQueueStore(store);
    const after = await launch(store, {
      queues: second.queues,
      serve: [fanOutQueue],
      executorId: "host",
    });
    await expect(after.retrieve(parent.workflowId).result()).resolves.toEqual(["X", "Y", "Z"]);
    expect(second.enqueued).toEqual([]);
    expect(first.enqueued.sort()).toEqual(["p:0", "p:1", "p:2"]);
    const steps = await after.listSteps("p");
    expect(steps.map((s) => [s.name, s.childWorkflowId])).toEqual([
      ["enqueue:job", "p:0"],
      ["enqueue:job", "p:1"],
      ["enqueue:job", "p:2"],
    ]);
  });

  it("enqueues once when the process dies between the write and its checkpoint", async () => {
    const store = createMemoryStore();
    const counted = countingQueueStore(store);
    let lost = false;
    const queues: QueueStore = {
      ...counted.queues,
      enqueue: async (item, options) => {
        const result = await counted.queues.enqueue(item, options);
        if (lost) return result;
        lost = true; // written, but the reply never comes back: no checkpoint is recorded
        throw new Error("connection lost after the write");
      },
    };
    const before = await launch(store, { queues, executorId: "host" });
    await before.start(fanOut, ["only"], { id: "w" });
    await vi.waitFor(() => expect(lost).toBe(true), WAIT);
    await before.shutdown();
    const after = await launch(store, { queues, serve: [fanOutQueue], executorId: "host" });
    await expect(after.retrieve(fanOut, "w").result()).resolves.toEqual(["ONLY"]);
    // Written again with the same derived ID, the enqueue found the child the first write made.
    expect(counted.enqueued).toEqual(["w:0", "w:0"]);
    const children = await after.listWorkflows({ parentWorkflowId: "w" });
    expect(children.map((c) => [c.workflowId, c.status])).toEqual([["w:0", "SUCCESS"]]);
    expect(ran).toEqual(["only"]);
  });

  it("cancels the queued and running children when the parent is cancelled", async () => {
    const store = createMemoryStore();
    const one = defineQueue("one-at-a-time", { concurrency: 1 });
    const parentOf = workflow({ name: "parentOf" }, async (ctx, labels: string[]) => {
      const handles = await Promise.all(labels.map((label) => ctx.enqueue(one, job, label)));
      return Promise.all(handles.map((handle) => handle.result()));
    });
    const engine = await launch(store, { serve: [one], workflows: [parentOf, job] });
    gate("running");
    const parent = await engine.start(parentOf, ["running", "waiting"], { id: "c" });
    await vi.waitFor(() => expect(ran).toEqual(["running"]), WAIT);
    await vi.waitFor(
      async () => expect(await one.counts(engine)).toMatchObject({ PENDING: 1, ENQUEUED: 1 }),
      WAIT,
    );
    await engine.cancel(parent.workflowId);
    for (const id of ["c", "c:0", "c:1"]) {
      expect((await engine.retrieve(id).status()).status).toBe("CANCELLED");
    }
    expect(await one.counts(engine)).toMatchObject({ CANCELLED: 2, ENQUEUED: 0, delayed: 0 });
  });

  it("gives the children the parent's deadline, unless they have a timeout of their own", async () => {
    const store = createMemoryStore();
    const idle = defineQueue("idle");
    const parentOf = workflow({ name: "timedParent" }, async (ctx) => {
      await ctx.enqueue(idle, job, "inherits");
      await ctx.enqueue(idle, job, "own", { timeoutMs: 60_000 });
      return ctx.recv("never");
    });
    const engine = await launch(store, { workflows: [parentOf, job] });
    await engine.start(parentOf, undefined, { id: "t", timeoutMs: 3_600_000 });
    await vi.waitFor(
      async () => expect(await idle.counts(engine)).toMatchObject({ ENQUEUED: 2 }),
      WAIT,
    );
    const parentRow = await store.getWorkflow("t");
    expect(parentRow?.deadlineAt).toBeGreaterThan(Date.now());
    expect(await store.getWorkflow("t:0")).toMatchObject({
      parentWorkflowId: "t",
      deadlineAt: parentRow?.deadlineAt,
    });
    expect(await store.getWorkflow("t:1")).toMatchObject({
      parentWorkflowId: "t",
      deadlineAt: undefined, // set at its claim: claim time + 60 s
    });
  });

  it("puts the child in its partition, at its priority, after its delay, with its attributes", async () => {
    const store = createMemoryStore();
    const tenants = defineQueue("tenant-jobs", { partitioned: true });
    const parentOf = workflow({ name: "placed" }, async (ctx) => {
      const handle = await ctx.enqueue(tenants, job, "later", {
        partitionKey: "tenant-7",
        priority: 3,
        delayMs: 3_600_000,
        attributes: { customer: "c-42" },
      });
      return handle.workflowId;
    });
    const engine = await launch(store, { workflows: [parentOf, job], serve: [tenants] });
    await expect(engine.run(parentOf, undefined, { id: "o" })).resolves.toBe("o:0");
    expect(await store.getWorkflow("o:0")).toMatchObject({
      status: "ENQUEUED",
      queueName: "tenant-jobs",
      partitionKey: "tenant-7",
      priority: 3,
      attributes: { customer: "c-42" },
      parentWorkflowId: "o",
    });
    expect(await tenants.counts(engine)).toMatchObject({ ENQUEUED: 1, delayed: 1 });
  });

  it("refuses a bad queue, option or child with a typed error and writes nothing", async () => {
    const store = createMemoryStore();
    const tenants = defineQueue("tenants", { partitioned: true });
    const attempts: Record<string, (ctx: AnyWorkflowContext) => Promise<unknown>> = {
      unpartitioned: (ctx) => ctx.enqueue(tenants, job, "a"),
      notAQueue: (ctx) => ctx.enqueue({ name: "made-up" }, job, "a"),
      tx: (ctx) => ctx.enqueue(fanOutQueue, job, "a", { tx: {} } as never),
      priority: (ctx) => ctx.enqueue(fanOutQueue, job, "a", { priority: 1.5 }),
      badInput: (ctx) => ctx.enqueue(fanOutQueue, job, ""),
      unregistered: (ctx) => ctx.enqueue(fanOutQueue, unregistered, undefined),
    };
    const tries = workflow({ name: "tries" }, async (ctx, which: string) => {
      try {
        await attempts[which]?.(ctx);
        return "enqueued";
      } catch (error) {
        return (error as Error).name;
      }
    });
    const engine = await launch(store, { workflows: [tries, job] });
    const outcome = (which: string) => engine.run(tries, which, { id: which });
    expect(await outcome("unpartitioned")).toBe(InvalidOptionError.name);
    expect(await outcome("notAQueue")).toBe(InvalidOptionError.name);
    expect(await outcome("tx")).toBe(InvalidOptionError.name);
    expect(await outcome("priority")).toBe(InvalidOptionError.name);
    expect(await outcome("badInput")).toBe(ValidationError.name);
    expect(await outcome("unregistered")).toBe(WorkflowNotRegisteredError.name);
    // No child anywhere, nothing in any queue.
    const all = await engine.listWorkflows({});
    expect(all.map((w) => w.name).sort()).toEqual(Array(6).fill("tries"));
    expect(await fanOutQueue.counts(engine)).toMatchObject({ ENQUEUED: 0, delayed: 0 });
    expect(await tenants.counts(engine)).toMatchObject({ ENQUEUED: 0 });
    // A bad queue or option records nothing; a bad child is the call's recorded outcome, as
    // ctx.start records it, so a replay throws it again.
    expect(await engine.listSteps("unpartitioned")).toEqual([]);
    expect(await engine.listSteps("tx")).toEqual([]);
    const [recorded] = await engine.listSteps("badInput");
    expect(recorded).toMatchObject({ name: "enqueue:job", childWorkflowId: undefined });
  });

  it("is an InvalidOptionError with nothing recorded on an engine without a queue runtime", async () => {
    const store = createMemoryStore();
    const tries = workflow({ name: "noQueues" }, async (ctx) =>
      ctx.enqueue(fanOutQueue, job, "a").then(
        () => "enqueued",
        (error: unknown) => (InvalidOptionError.is(error) ? error.message : "other"),
      ),
    );
    const engine = await launch(store, { workflows: [tries, job], plugins: [] });
    await expect(engine.run(tries, undefined, { id: "n" })).resolves.toMatch(/no queue runtime/);
    expect(await engine.listSteps("n")).toEqual([]);
    expect(await engine.listWorkflows({})).toHaveLength(1);
  });
});
