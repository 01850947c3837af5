import { afterEach, describe, expect, it, vi } from "vitest";
import {
  createEngine,
  StoreUnavailableError,
  step,
  workflow,
  type AnyWorkflow,
  type Engine,
  type EngineObserver,
  type RunInfo,
  type WorkflowStore,
} from "@cairn/core";
import { createMemoryStore } from "@cairn/core/testing";
import { attributes, observeQueueDepth, otelObserver } from "../src/index.js";
import { memoryMetrics, valueOf } from "./support/metrics.js";

const { WORKFLOW_NAME, WORKFLOW_STATUS, STEP_NAME, STEP_OUTCOME, RUN_CAUSE, QUEUE_NAME } =
  attributes;

const engines: Engine[] = [];
afterEach(async () => {
  await Promise.all(engines.splice(0).map((engine) => engine.shutdown()));
});

async function engineWith(
  store: WorkflowStore,
  workflows: AnyWorkflow[],
  observer: EngineObserver,
  executorId?: string,
) {
  const engine = createEngine({
    store,
    workflows,
    observers: [observer],
    pollIntervalMs: 20,
    ...(executorId === undefined ? {} : { executorId }),
  });
  await engine.launch();
  engines.push(engine);
  return engine;
}

/** A view of `store` that can hang forever (a dead process) or fail (an outage). */
function view(store: WorkflowStore) {
  const state = { cut: false, down: false, failures: 0 };
  const proxy = new Proxy(
    { ...store, close: async () => undefined },
    {
      get(target, key, receiver) {
        const value = Reflect.get(target, key, receiver) as unknown;
        if (typeof value !== "function") return value;
        return async (...args: unknown[]) => {
          if (state.cut) return new Promise(() => undefined);
          if (state.down) {
            state.failures++;
            throw new StoreUnavailableError("connection refused");
          }
          return (value as (...a: unknown[]) => unknown).apply(target, args);
        };
      },
    },
  ) as WorkflowStore;
  return { store: proxy, state };
}

describe("workflow metrics", () => {
  it("counts starts, finishes by status, step attempts by outcome and retries", async () => {
    const { provider, collect } = memoryMetrics();
    let calls = 0;
    const flaky = step({ name: "flaky", retry: { maxAttempts: 2, initialDelayMs: 1 } }, () => {
      if (++calls === 1) throw new Error("once");
      return "ok";
    });
    const good = workflow("good", async (ctx) => flaky(ctx));
    const bad = workflow("bad", async () => {
      throw new Error("no");
    });
    const waits = workflow("waits", async (ctx) => ctx.recv("never"));
    const engine = await engineWith(
      createMemoryStore(),
      [good, bad, waits],
      otelObserver({ meterProvider: provider, traces: false }),
    );
    await engine.run(good, undefined);
    await expect(engine.run(bad, undefined)).rejects.toThrow("no");
    const waiting = await engine.start(waits, undefined, { id: "w" });
    expect(valueOf(await collect(), "cairn.workflows.running", { [WORKFLOW_NAME]: "waits" })).toBe(
      1,
    );
    await engine.cancel("w");
    await expect(waiting.result()).rejects.toThrow();

    const metrics = await collect();
    for (const name of ["good", "bad", "waits"]) {
      const started = { [WORKFLOW_NAME]: name, [RUN_CAUSE]: "start" };
      expect(valueOf(metrics, "cairn.workflows.started", started)).toBe(1);
    }
    const finished = (name: string, status: string) =>
      valueOf(metrics, "cairn.workflows.finished", {
        [WORKFLOW_NAME]: name,
        [WORKFLOW_STATUS]: status,
      });
    expect([finished("good", "SUCCESS"), finished("bad", "ERROR")]).toEqual([1, 1]);
    expect(finished("waits", "CANCELLED")).toBe(1);
    expect(valueOf(metrics, "cairn.workflows.running", { [WORKFLOW_NAME]: "waits" })).toBe(0);
    const attempts = (outcome: string) =>
      valueOf(metrics, "cairn.step.duration", { [STEP_NAME]: "flaky", [STEP_OUTCOME]: outcome });
    expect([attempts("ok"), attempts("error")]).toEqual([1, 1]);
    expect(valueOf(metrics, "cairn.step.retries", { [STEP_NAME]: "flaky" })).toBe(1);
    const runs = { [WORKFLOW_NAME]: "good", [WORKFLOW_STATUS]: "SUCCESS" };
    expect(valueOf(metrics, "cairn.workflow.run.duration", runs)).toBe(1);
  });

  it("counts recoveries after a takeover and dead letters", async () => {
    const store = createMemoryStore();
    const { provider, collect } = memoryMetrics();
    const hang = workflow("hang", async (ctx) => {
      await step("s", () => 1)(ctx);
      return ctx.recv("never");
    });
    const poison = workflow({ name: "poison", maxRecoveryAttempts: 1 }, async (ctx) =>
      ctx.recv("never"),
    );
    /** An engine that starts `ids` (if any), then dies with its runs: its store hangs. */
    const diesAfter = async (executorId: string, start: (engine: Engine) => Promise<unknown>) => {
      const doomed = view(store);
      const engine = createEngine({ store: doomed.store, workflows: [hang, poison], executorId });
      await engine.launch();
      await start(engine);
      doomed.state.cut = true;
      await store.stopExecutor(executorId);
    };
    await diesAfter("a", (engine) =>
      Promise.all([
        engine.start(poison, undefined, { id: "p" }),
        engine.start(hang, undefined, { id: "h" }),
      ]),
    );
    await diesAfter("b", () => Promise.resolve()); // takes both over at launch, then dies too
    await engineWith(
      store,
      [hang, poison],
      otelObserver({ meterProvider: provider, traces: false }),
      "c",
    );
    const metrics = await collect();
    expect(
      valueOf(metrics, "cairn.workflows.recovered", {
        [WORKFLOW_NAME]: "hang",
        [RUN_CAUSE]: "takeover",
      }),
    ).toBe(1);
    expect(valueOf(metrics, "cairn.workflows.dead_lettered", { [WORKFLOW_NAME]: "poison" })).toBe(
      1,
    );
  });

  it("counts a store outage once, with its duration", async () => {
    const { store, state } = view(createMemoryStore());
    const { provider, collect } = memoryMetrics();
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const flow = workflow("outage", async (ctx, n: number) => {
      await step("wait", () => gate)(ctx);
      return n;
    });
    const engine = await engineWith(
      store,
      [flow],
      otelObserver({ meterProvider: provider, traces: false }),
    );
    const handles = await Promise.all([1, 2, 3].map((n) => engine.start(flow, n)));
    state.down = true;
    release();
    await vi.waitFor(() => expect(state.failures).toBeGreaterThanOrEqual(9), { timeout: 10_000 });
    state.down = false;
    await Promise.all(handles.map((handle) => handle.result()));
    const metrics = await collect();
    expect(valueOf(metrics, "cairn.store.outages")).toBe(1);
    expect(valueOf(metrics, "cairn.store.outage.duration")).toBe(1);
  });
});

describe("queue metrics", () => {
  const run = (patch: Partial<RunInfo>): RunInfo => ({
    workflowId: "q-1",
    workflowName: "email",
    executorId: "worker-1",
    cause: "pickup",
    recoveryAttempt: 0,
    parentWorkflowId: undefined,
    queueName: "emails",
    createdAt: 1_000,
    startedAt: 1_250,
    traceContext: undefined,
    ...patch,
  });

  it("records the wait from enqueue to start of a workflow claimed from a queue", async () => {
    const { provider, collect } = memoryMetrics();
    const observer = otelObserver({ meterProvider: provider, traces: false });
    observer.onEvent?.({ type: "workflow.started", run: run({}) });
    observer.onEvent?.({ type: "workflow.started", run: run({ queueName: undefined }) });
    observer.onEvent?.({ type: "workflow.started", run: run({ cause: "start" }) });
    const metrics = await collect();
    const [point, ...others] = metrics.get("cairn.queue.wait_time") ?? [];
    expect(others).toEqual([]);
    expect(point).toEqual({
      attributes: { [QUEUE_NAME]: "emails", [WORKFLOW_NAME]: "email" },
      value: 1, // one recorded wait
    });
  });

  it("reports each queue's depth when metrics are collected, until stopped", async () => {
    const { provider, collect } = memoryMetrics();
    const engine = {} as Engine; // the fake queues below never use it
    let enqueued = 7;
    const emails = {
      name: "emails",
      counts: () => Promise.resolve({ ENQUEUED: enqueued, PENDING: 2, delayed: 3 }),
    };
    const broken = { name: "broken", counts: () => Promise.reject(new Error("offline")) };
    const stop = observeQueueDepth(engine, [emails, broken], { meterProvider: provider });
    const depth = (metrics: Awaited<ReturnType<typeof collect>>, status: string) =>
      valueOf(metrics, "cairn.queue.depth", { [QUEUE_NAME]: "emails", [WORKFLOW_STATUS]: status });
    const first = await collect();
    expect([depth(first, "ENQUEUED"), depth(first, "delayed"), depth(first, "PENDING")]).toEqual([
      4, 3, 2,
    ]);
    expect(first.get("cairn.queue.depth")?.some((p) => p.attributes[QUEUE_NAME] === "broken")).toBe(
      false,
    );
    enqueued = 3;
    expect(depth(await collect(), "ENQUEUED")).toBe(0);
    stop();
    enqueued = 10;
    expect(depth(await collect(), "ENQUEUED")).toBe(0); // not read again, or it would be 10 - 3
  });
});
