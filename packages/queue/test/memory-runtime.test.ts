/**
 * The queue runtime end to end on the memory stores of the testing kits — what a user's own
 * tests run: an engine serving queues, a client enqueueing by name, limits and priority held,
 * a resumed queued workflow going back through its queue, and cron ticks on a virtual clock.
 * The same behaviours on Postgres and PGlite: `@cairn/pg-store`'s test/queue.
 */
import {
  createClient,
  createEngine,
  step,
  workflow,
  WorkflowNotRegisteredError,
  type Engine,
} from "@cairn/core";
import { createMemoryStore, createVirtualClock, type MemoryStore } from "@cairn/core/testing";
import { afterEach, describe, expect, it, vi } from "vitest";
import {
  createQueues,
  defineQueue,
  schedule,
  withQueues,
  type Queue,
  type ScheduledRun,
} from "../src/index.js";
import { createMemoryQueueStore } from "../src/testing/index.js";

const quiet = { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} };

/** Gates by label: a workflow whose label has a gate waits until the test opens it. */
let gates = new Map<string, { opened: Promise<void>; open: () => void }>();
let ran: string[] = [];
let failing = new Set<string>();

const gate = (label: string) => {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => (open = resolve));
  gates.set(label, { opened, open });
};

const work = step("work", async (label: string) => {
  ran.push(label);
  if (failing.has(label)) throw new Error(`${label} failed`);
  await gates.get(label)?.opened;
  return label.toUpperCase();
});
const job = workflow({ name: "job" }, async (ctx, label: string) => work(ctx, label));

const engines: Engine[] = [];
afterEach(async () => {
  for (const g of gates.values()) g.open();
  await Promise.all(engines.splice(0).map((e) => e.shutdown()));
  gates = new Map();
  ran = [];
  failing = new Set();
});

async function launch(
  store: MemoryStore,
  serve: readonly Queue[],
  workflowTimeoutMs?: number,
): Promise<Engine> {
  const engine = createEngine({
    store,
    workflows: [job],
    ...(workflowTimeoutMs === undefined ? {} : { workflowTimeoutMs }),
    logger: quiet,
    plugins: [createQueues({ store: createMemoryQueueStore(store), serve, shutdownGraceMs: 0 })],
    shutdownGraceMs: 0,
  });
  engines.push(engine);
  await engine.launch();
  return engine;
}

describe("queues on the memory store", () => {
  it("runs enqueued workflows within the queue's concurrency, in priority order", async () => {
    const store = createMemoryStore();
    const q = defineQueue("q", { concurrency: 1 });
    const engine = await launch(store, [q]);
    gate("first");
    const first = await q.enqueue(engine, job, "first");
    await vi.waitFor(() => expect(ran).toEqual(["first"]));
    const low = await q.enqueue(engine, job, "low", { priority: 5 });
    const high = await q.enqueue(engine, job, "high", { priority: 1 });
    expect(await q.counts(engine)).toMatchObject({ PENDING: 1, ENQUEUED: 2 });
    gates.get("first")?.open();
    expect(await Promise.all([first, high, low].map((h) => h.result()))).toEqual([
      "FIRST",
      "HIGH",
      "LOW",
    ]);
    expect(ran).toEqual(["first", "high", "low"]);
    expect(await q.counts(engine)).toMatchObject({ SUCCESS: 3, ENQUEUED: 0, PENDING: 0 });
  });

  it("runs what a client enqueues by name", async () => {
    const store = createMemoryStore();
    const q = defineQueue("by-name");
    const client = withQueues(
      createClient({ store, logger: quiet }),
      createMemoryQueueStore(store),
    );
    const handle = await client.enqueue<typeof job>("by-name", "job", "from client");
    expect((await handle.status()).status).toBe("ENQUEUED");
    await launch(store, [q]);
    await expect(handle.result()).resolves.toBe("FROM CLIENT");
    await client.close();
  });

  it("refuses to enqueue a name no live engine registers, unless allowUnregistered", async () => {
    const store = createMemoryStore();
    const q = defineQueue("names");
    await launch(store, [q]);
    const client = withQueues(
      createClient({ store: { ...store, close: async () => undefined }, logger: quiet }),
      createMemoryQueueStore(store),
    );
    await expect(client.enqueue("names", "jbo", "typo", { id: "typo" })).rejects.toThrow(
      WorkflowNotRegisteredError,
    );
    const debounce = { periodMs: 1_000 };
    await expect(client.debounce("names", "k", "jbo", "typo", debounce)).rejects.toThrow(
      WorkflowNotRegisteredError,
    );
    await expect(client.enqueueMany("names", "jbo", [{ input: "a" }])).rejects.toThrow(
      WorkflowNotRegisteredError,
    );
    expect(await store.listWorkflows({ queueName: "names" })).toEqual([]);
    const ahead = await client.enqueue("names", "later", 1, { allowUnregistered: true });
    expect(await store.getWorkflow(ahead.workflowId)).toMatchObject({
      name: "later",
      queueName: "names",
    });
    const handle = await client.enqueue<typeof job>("names", "job", "known");
    await expect(handle.result()).resolves.toBe("KNOWN");
    await client.close();
  });

  it("puts a resumed queued workflow back in its queue, under its limits", async () => {
    const store = createMemoryStore();
    const q = defineQueue("resumed", { concurrency: 1 });
    const engine = await launch(store, [q]);
    failing.add("flaky");
    const flaky = await q.enqueue(engine, job, "flaky");
    await expect(flaky.result()).rejects.toThrow("flaky failed");
    failing.delete("flaky");
    gate("holder");
    const holder = await q.enqueue(engine, job, "holder");
    await vi.waitFor(() => expect(ran).toContain("holder"));
    await engine.resume(flaky.workflowId);
    // The only slot is taken: the resumed workflow waits in the queue instead of running.
    expect((await flaky.status()).status).toBe("ENQUEUED");
    gates.get("holder")?.open();
    await expect(holder.result()).resolves.toBe("HOLDER");
    await expect(flaky.result()).resolves.toBe("FLAKY");
    expect(ran).toEqual(["flaky", "holder", "flaky"]);
  });

  it("gives what it enqueues without a timeout the engine's workflowTimeoutMs, from the claim", async () => {
    const store = createMemoryStore();
    const q = defineQueue("q");
    const engine = await launch(store, [q], 3_600_000);
    for (const label of ["plain", "own", "many"]) gate(label);
    const plain = await q.enqueue(engine, job, "plain");
    const own = await q.enqueue(engine, job, "own", { timeoutMs: 60_000 });
    const [many] = await q.enqueueMany(engine, job, [{ input: "many" }]);
    await vi.waitFor(() => expect([...ran].sort()).toEqual(["many", "own", "plain"]));
    const budget = async (handle: {
      status(): Promise<{ deadlineAt?: Date | undefined; startedAt?: Date | undefined }>;
    }) => {
      const { deadlineAt, startedAt } = await handle.status();
      return (deadlineAt?.getTime() ?? Number.NaN) - (startedAt?.getTime() ?? Number.NaN);
    };
    expect(await budget(plain)).toBe(3_600_000);
    expect(await budget(own)).toBe(60_000);
    expect(many && (await budget(many))).toBe(3_600_000);
  });

  it("fires a cron schedule onto a queue on a virtual clock", async () => {
    const store = createMemoryStore();
    const clock = createVirtualClock(Date.UTC(2026, 0, 1));
    const q = defineQueue("nightly-q");
    const ticks: string[] = [];
    const tick = workflow({ name: "tick" }, async (_ctx, run: ScheduledRun) => {
      ticks.push(run.scheduleName);
      return ticks.length;
    });
    const nightly = schedule("nightly", "0 3 * * *", tick, { queue: q });
    const engine = createEngine({
      store,
      workflows: [tick],
      logger: quiet,
      clock,
      plugins: [
        createQueues({
          store: createMemoryQueueStore(store),
          serve: [q],
          schedules: [nightly],
          shutdownGraceMs: 0,
        }),
      ],
    });
    engines.push(engine);
    await engine.launch();
    await clock.untilSleeping();
    await clock.advance("1d");
    await vi.waitFor(async () => expect(await q.counts(engine)).toMatchObject({ SUCCESS: 1 }));
    expect(ticks).toEqual(["nightly"]);
  });
});
