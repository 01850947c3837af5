/**
 * The queue runtime without a database: a fake store records every claim, a fake host stands in
 * for the engine. Covers the dispatcher's turn order across queues, what it asks a claim for,
 * and option validation. The SQL side is tested in pg-store (test/queue).
 */
import {
  systemClock,
  InvalidOptionError,
  defaultSerializer,
  type EnginePluginHost,
  type RunFinisher,
  type WorkflowOutcome,
  type WorkflowRecord,
  type WorkflowStatus,
  WorkflowOwnershipLostError,
} from "@cairn/core";
import { describe, expect, it, vi } from "vitest";
import {
  createQueues,
  defineQueue,
  type ClaimFinishResult,
  type ClaimRequest,
  type ClaimResult,
  type QueueStore,
} from "../src/index.js";

const record = (workflowId: string): WorkflowRecord => ({
  workflowId,
  name: "job",
  status: "PENDING",
  input: "[]",
  output: undefined,
  error: undefined,
  executorId: "me",
  parentWorkflowId: undefined,
  recoveryAttempts: 0,
  deadlineAt: undefined,
  forkedFrom: undefined,
  queueName: undefined,
  appVersion: undefined,
  ownerEpoch: 1,
  createdAt: 0,
  updatedAt: 0,
});

/** A store whose queues hold `backlog[name]` items; claims take from them and are recorded. */
function fakeStore(
  backlog: Record<string, number>,
  options: {
    saysMore?: boolean;
    /** Records finishes in its claims, answering each with this. */
    finishesAs?: (workflowId: string) => ClaimFinishResult;
    /** What its claims say of other executors running the queue's work. */
    shared?: boolean;
  } = {},
) {
  const claims: ClaimRequest[] = [];
  const { finishesAs } = options;
  const listeners = new Set<(queueName: string) => void>();
  let next = 0;
  const store: QueueStore = {
    enqueue: () => Promise.reject(new Error("unused")),
    enqueueMany: () => Promise.reject(new Error("unused")),
    debounce: () => Promise.reject(new Error("unused")),
    release: () => Promise.resolve(),
    counts: () => Promise.reject(new Error("unused")),
    subscribe: (listener) => {
      listeners.add(listener);
      return Promise.resolve(() => Promise.resolve());
    },
    lastTick: () => Promise.resolve(undefined),
    recordTick: () => Promise.resolve(),
    defineQueues: () => Promise.resolve(),
    setQueueLimits: () => Promise.reject(new Error("unused")),
    getQueue: () => Promise.resolve(undefined),
    listQueues: () => Promise.resolve([]),
    setPriority: () => Promise.reject(new Error("unused")),
    setAvailability: () => Promise.reject(new Error("unused")),
    createSchedule: () => Promise.reject(new Error("unused")),
    updateSchedule: () => Promise.reject(new Error("unused")),
    deleteSchedule: () => Promise.reject(new Error("unused")),
    getSchedule: () => Promise.resolve(undefined),
    listSchedules: () => Promise.resolve([]),
    claim: (request): Promise<ClaimResult> => {
      claims.push(request);
      const n = Math.min(request.max, backlog[request.queueName] ?? 0);
      backlog[request.queueName] = (backlog[request.queueName] ?? 0) - n;
      return Promise.resolve({
        claimed: Array.from({ length: n }, () => record(`${request.queueName}-${next++}`)),
        ...(options.saysMore ? { more: (backlog[request.queueName] ?? 0) > 0 } : {}),
        ...(request.finishes && finishesAs
          ? { finished: request.finishes.map((f) => finishesAs(f.outcome.workflowId)) }
          : {}),
        ...(options.shared === undefined ? {} : { shared: options.shared }),
        requeued: 0,
        deadLettered: [],
      });
    },
  };
  /** An enqueue of `n` more on `queueName`, with its notification. */
  const enqueue = (queueName: string, n: number) => {
    backlog[queueName] = (backlog[queueName] ?? 0) + n;
    for (const listener of listeners) listener(queueName);
  };
  if (options.finishesAs) Object.assign(store, { finishesInClaim: true });
  return { store, claims, enqueue };
}

function fakeHost() {
  const ended: ((id: string, status: WorkflowStatus) => void)[] = [];
  const runs: string[] = [];
  const dead: string[] = [];
  /** The finisher each run got from the runtime, by workflow ID. */
  const finishers = new Map<string, RunFinisher>();
  /** Outcomes written through the workflow store, not a claim. */
  const storeFinishes: string[] = [];
  const host: EnginePluginHost = {
    executorId: "me",
    appVersion: undefined,
    clock: systemClock,
    workflowTimeoutMs: undefined,
    store: {
      finishWorkflow: (outcome: WorkflowOutcome) => {
        storeFinishes.push(outcome.workflowId);
        return Promise.resolve(true);
      },
    } as unknown as EnginePluginHost["store"],
    serializer: defaultSerializer,
    logger: { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} },
    isRunning: () => true,
    isRegistered: () => true,
    prepareInput: () => Promise.resolve("[]"),
    traceContext: () => undefined,
    run: (records, options) => {
      runs.push(...records.map((r) => r.workflowId));
      for (const r of records) if (options?.finish) finishers.set(r.workflowId, options.finish);
      return Promise.resolve();
    },
    maxRecoveryAttempts: () => ({ job: 3 }),
    reportDeadLettered: (records) => dead.push(...records.map((r) => r.workflowId)),
    onRunEnded: (listener) => ended.push(listener),
    onNotification: () => {},
    handle: () => {
      throw new Error("unused");
    },
  };
  /** Ends `id` as the engine would: its outcome through its finisher, then the run's end. */
  const finish = async (id: string): Promise<boolean> => {
    const finisher = finishers.get(id);
    if (!finisher) throw new Error(`${id} got no finisher`);
    const outcome = { workflowId: id, executorId: "me", status: "SUCCESS" as const, output: "1" };
    try {
      return await finisher(outcome, { executorId: "me", epoch: 1 });
    } finally {
      ended.forEach((l) => l(id, "SUCCESS"));
    }
  };
  return {
    host,
    runs,
    dead,
    finishers,
    storeFinishes,
    finish,
    end: (id: string) => ended.forEach((l) => l(id, "SUCCESS")),
  };
}

describe("the dispatcher", () => {
  it("serves its queues in turn, one batch per turn, so a busy queue cannot stall another", async () => {
    const busy = defineQueue("busy");
    const quiet = defineQueue("quiet");
    const { store, claims } = fakeStore({ busy: 50, quiet: 1 });
    const { host } = fakeHost();
    const runtime = createQueues({
      store,
      serve: [busy, quiet],
      claimBatch: 10,
      shutdownGraceMs: 0,
    });
    await runtime.start(host);
    await vi.waitFor(() => expect(claims.length).toBeGreaterThanOrEqual(4));
    await runtime.stop();
    const order = claims.map((c) => c.queueName);
    expect(order.slice(0, 4)).toEqual(["busy", "quiet", "busy", "busy"]);
    expect(claims.every((c) => c.max <= 10)).toBe(true);
  });

  it("asks for no more than workerConcurrency minus what runs here, and claims again when one ends", async () => {
    const q = defineQueue("q", { workerConcurrency: 3, concurrency: 10 });
    const { store, claims } = fakeStore({ q: 10 });
    const { host, runs, end } = fakeHost();
    const runtime = createQueues({ store, serve: [q], shutdownGraceMs: 0 });
    await runtime.start(host);
    await vi.waitFor(() => expect(runs).toHaveLength(3));
    expect(claims.map((c) => c.max)).toEqual([3]); // full: no claim until a run ends
    expect(claims[0]?.limits).toMatchObject({ concurrency: 10, workerConcurrency: 3 });
    expect(claims[0]?.maxRecoveryAttempts).toEqual({ job: 3 }); // the engine's, by name
    end(runs[0] ?? "");
    await vi.waitFor(() => expect(claims.map((c) => c.max)).toEqual([3, 1]));
    expect(runtime.running).toBe(3);
    await runtime.stop();
  });

  it("claims again as a run ends only while the last claim left work waiting", async () => {
    const q = defineQueue("q", { workerConcurrency: 2 });
    const { store, claims, enqueue } = fakeStore({ q: 3 }, { saysMore: true });
    const { host, runs, end } = fakeHost();
    const runtime = createQueues({ store, serve: [q], shutdownGraceMs: 0 });
    await runtime.start(host);
    await vi.waitFor(() => expect(runs).toHaveLength(2)); // one left waiting: more
    end(runs[0] ?? "");
    await vi.waitFor(() => expect(runs).toHaveLength(3)); // took the last: no more
    expect(claims).toHaveLength(2);
    end(runs[1] ?? "");
    end(runs[2] ?? "");
    // Nothing was left waiting: the ends claim nothing. An enqueue's notification claims.
    enqueue("q", 1);
    await vi.waitFor(() => expect(runs).toHaveLength(4));
    expect(claims.map((c) => c.max)).toEqual([2, 1, 2]);
    await runtime.stop();
  });

  it("claims again when its queue was notified while a claim was in flight, though that claim left nothing", async () => {
    const q = defineQueue("q", { workerConcurrency: 5 });
    const { store, claims, enqueue } = fakeStore({ q: 1 }, { saysMore: true });
    const { host, runs } = fakeHost();
    // The first claim takes the one item (nothing left: more = false) and answers only once
    // a new item's notification came in: the claim's snapshot did not see that item.
    const claim = store.claim.bind(store);
    let answer: (() => void) | undefined;
    const held = new Promise<void>((resolve) => (answer = resolve));
    store.claim = async (request) => {
      const result = await claim(request);
      if (claims.length === 1) await held;
      return result;
    };
    const runtime = createQueues({
      store,
      serve: [q],
      pollIntervalMs: 3_600_000, // no poll to paper over a lost notification
      shutdownGraceMs: 0,
    });
    await runtime.start(host);
    await vi.waitFor(() => expect(claims).toHaveLength(1));
    enqueue("q", 1);
    answer?.();
    await vi.waitFor(() => expect(runs).toHaveLength(2));
    expect(claims).toHaveLength(2);
    await runtime.stop();
  });

  it("claims again as each run ends when the store does not say what was left", async () => {
    const q = defineQueue("q", { workerConcurrency: 2 });
    const { store, claims } = fakeStore({ q: 2 });
    const { host, runs, end } = fakeHost();
    const runtime = createQueues({ store, serve: [q], shutdownGraceMs: 0 });
    await runtime.start(host);
    await vi.waitFor(() => expect(runs).toHaveLength(2));
    end(runs[0] ?? "");
    await vi.waitFor(() => expect(claims.map((c) => c.max)).toEqual([2, 1]));
    await runtime.stop();
  });
});

describe("with a store that writes outcomes in its claims", () => {
  it("writes them through the workflow store while other executors run the queue's work", async () => {
    const q = defineQueue("q", { workerConcurrency: 2 });
    const { store, claims } = fakeStore({ q: 3 }, { finishesAs: () => "finished", shared: true });
    const { host, runs, finish, storeFinishes } = fakeHost();
    const runtime = createQueues({ store, serve: [q], shutdownGraceMs: 0 });
    await runtime.start(host);
    await vi.waitFor(() => expect(runs).toHaveLength(2));
    expect(await finish(runs[0] ?? "")).toBe(true);
    expect(storeFinishes).toEqual([runs[0]]); // not waiting for a claim
    await vi.waitFor(() => expect(runs).toHaveLength(3)); // its end still frees the slot
    expect(claims.every((c) => c.finishes === undefined)).toBe(true);
    await runtime.stop();
  });

  it("writes a run's outcome with the next claim, whose room counts its slot as free", async () => {
    const q = defineQueue("q", { workerConcurrency: 2 });
    const { store, claims } = fakeStore({ q: 3 }, { finishesAs: () => "finished", shared: false });
    const { host, runs, finish, storeFinishes } = fakeHost();
    const runtime = createQueues({ store, serve: [q], shutdownGraceMs: 0 });
    await runtime.start(host);
    await vi.waitFor(() => expect(runs).toHaveLength(2));
    expect(await finish(runs[0] ?? "")).toBe(true);
    expect(claims[1]?.finishes?.map((f) => f.outcome.workflowId)).toEqual([runs[0]]);
    expect(claims[1]?.max).toBe(1); // the finished run's slot
    await vi.waitFor(() => expect(runs).toHaveLength(3));
    expect(storeFinishes).toEqual([]);
    expect(runtime.running).toBe(2);
    await runtime.stop();
  });

  it("writes a run's outcome through the workflow store when the queue's last claim left nothing waiting", async () => {
    // An idle queue: no claim would have a slot to fill, and one costs a finish's server time
    // several times over.
    const q = defineQueue("q");
    const { store, claims, enqueue } = fakeStore(
      { q: 1 },
      { finishesAs: () => "finished", shared: false, saysMore: true },
    );
    const { host, runs, finish, storeFinishes } = fakeHost();
    const runtime = createQueues({
      store,
      serve: [q],
      pollIntervalMs: 3_600_000,
      shutdownGraceMs: 0,
    });
    await runtime.start(host);
    await vi.waitFor(() => expect(runs).toHaveLength(1));
    expect(await finish(runs[0] ?? "")).toBe(true);
    expect(storeFinishes).toEqual([runs[0]]);
    expect(claims).toHaveLength(1);
    expect(runtime.running).toBe(0);
    enqueue("q", 1); // the next enqueue's claim still comes from its notification
    await vi.waitFor(() => expect(runs).toHaveLength(2));
    expect(claims.every((c) => c.finishes === undefined)).toBe(true);
    await runtime.stop();
  });

  it("keeps an idle queue's outcome for the next claim under a concurrency limit", async () => {
    // Written alone, a finish could commit after a concurrent claim's snapshot: that claim
    // would find the queue full, and no run left here would end to claim again.
    const q = defineQueue("q", { concurrency: 5 });
    const { store, claims } = fakeStore(
      { q: 1 },
      { finishesAs: () => "finished", shared: false, saysMore: true },
    );
    const { host, runs, finish, storeFinishes } = fakeHost();
    const runtime = createQueues({ store, serve: [q], shutdownGraceMs: 0 });
    await runtime.start(host);
    await vi.waitFor(() => expect(runs).toHaveLength(1));
    expect(await finish(runs[0] ?? "")).toBe(true);
    expect(storeFinishes).toEqual([]);
    expect(claims[1]?.finishes?.map((f) => f.outcome.workflowId)).toEqual([runs[0]]);
    await runtime.stop();
  });

  it("answers a fenced outcome with WorkflowOwnershipLostError and a stale one with false", async () => {
    const q = defineQueue("q");
    const as = (id: string): ClaimFinishResult => (id === "q-0" ? "fenced" : "stale");
    const { store } = fakeStore({ q: 2 }, { finishesAs: as, shared: false });
    const { host, runs, finish } = fakeHost();
    const runtime = createQueues({ store, serve: [q], shutdownGraceMs: 0 });
    await runtime.start(host);
    await vi.waitFor(() => expect(runs).toEqual(["q-0", "q-1"]));
    await expect(finish("q-0")).rejects.toBeInstanceOf(WorkflowOwnershipLostError);
    expect(await finish("q-1")).toBe(false);
    expect(runtime.running).toBe(0);
    await runtime.stop();
  });

  it("tells each claim's runs their outcomes before the backlog is done, though claims answer within one turn of the event loop", async () => {
    // PGlite answers a drain's claims without the event loop ever turning: runs told of their
    // outcomes only at the next turn were all still unfinished (and in memory) at the last claim.
    const q = defineQueue("q", { workerConcurrency: 4 });
    const { store, claims } = fakeStore({ q: 40 }, { finishesAs: () => "finished", shared: false });
    const { host, finishers } = fakeHost();
    const told: string[] = [];
    const run = host.run.bind(host);
    host.run = async (records, options) => {
      await run(records, options);
      for (const r of records) {
        const outcome = { workflowId: r.workflowId, executorId: "me", status: "SUCCESS" as const };
        void finishers
          .get(r.workflowId)?.({ ...outcome, output: "1" }, { executorId: "me", epoch: 1 })
          .then(() => told.push(r.workflowId));
      }
    };
    let toldAtLastClaim = -1;
    const claim = store.claim.bind(store);
    store.claim = (request) => {
      if (claims.length === 10) toldAtLastClaim = told.length; // the claim that takes the last 4
      return claim(request);
    };
    const runtime = createQueues({ store, serve: [q], shutdownGraceMs: 0 });
    await runtime.start(host);
    await vi.waitFor(() => expect(told).toHaveLength(40));
    expect(claims.length).toBeGreaterThanOrEqual(11);
    // 36 outcomes were written by then; at most the previous claim's 4 may still wait for a turn.
    expect(toldAtLastClaim).toBeGreaterThanOrEqual(28);
    await runtime.stop();
  });

  it("writes the outcomes through the workflow store when the claim fails, and after stop", async () => {
    const q = defineQueue("q");
    const { store } = fakeStore({ q: 2 }, { finishesAs: () => "finished", shared: false });
    const { host, runs, finish, storeFinishes } = fakeHost();
    const runtime = createQueues({ store, serve: [q], shutdownGraceMs: 0 });
    await runtime.start(host);
    await vi.waitFor(() => expect(runs).toHaveLength(2));
    store.claim = () => Promise.reject(new Error("connection lost"));
    expect(await finish(runs[0] ?? "")).toBe(true);
    expect(storeFinishes).toEqual([runs[0]]);
    await runtime.stop();
    expect(await finish(runs[1] ?? "")).toBe(true);
    expect(storeFinishes).toEqual([runs[0], runs[1]]);
  });
});

it("reports the workflows a claim dead-lettered to the engine", async () => {
  const q = defineQueue("q");
  const { store } = fakeStore({});
  const claimed = store.claim.bind(store);
  store.claim = async (request) => ({
    ...(await claimed(request)),
    deadLettered: [{ ...record("looping"), status: "DEAD_LETTER", recoveryAttempts: 4 }],
  });
  const { host, dead } = fakeHost();
  const runtime = createQueues({ store, serve: [q], shutdownGraceMs: 0 });
  await runtime.start(host);
  await vi.waitFor(() => expect(dead[0]).toBe("looping"));
  await runtime.stop();
});

describe("options", () => {
  it.each([
    [{ concurrency: 0 }],
    [{ workerConcurrency: 1.5 }],
    [{ rateLimit: { limit: 10, periodMs: 0 } }],
    [{ rateLimit: { limit: -1, periodMs: 1000 } }],
  ])("refuses queue limits %j", (options) => {
    expect(() => defineQueue("q", options)).toThrow(InvalidOptionError);
  });

  it("refuses a queue served twice and an empty name", () => {
    const q = defineQueue("q");
    expect(() => createQueues({ store: fakeStore({}).store, serve: [q, q] })).toThrow(/twice/);
    expect(() => defineQueue("")).toThrow(InvalidOptionError);
  });
});
