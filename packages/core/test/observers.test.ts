import { describe, expect, it, vi } from "vitest";
import {
  consoleLogger,
  createClient,
  createEngine,
  StoreUnavailableError,
  step,
  workflow,
  type AnyWorkflow,
  type EngineObserver,
  type EngineOptions,
  type LifecycleEvent,
  type Logger,
  type LogLevel,
  type RunInfo,
  type WorkflowStore,
} from "../src/index.js";
import { createMemoryStore } from "../src/testing/index.js";
import { forever, gate, recordingLogger } from "./support.js";

async function engineOn(
  store: WorkflowStore,
  workflows: AnyWorkflow[],
  options: Partial<EngineOptions> = {},
) {
  const logger = recordingLogger();
  const engine = createEngine({ store, workflows, logger, pollIntervalMs: 20, ...options });
  const report = await engine.launch();
  return { engine, report, logger };
}

/** An observer that records every event. */
function eventLog(): EngineObserver & { events: LifecycleEvent[] } {
  const events: LifecycleEvent[] = [];
  return { events, onEvent: (event) => void events.push(event) };
}

/** A view of `store` that can be cut off (a dead process) or taken down (an outage). */
function view(store: WorkflowStore) {
  const state = { cut: false, down: false, failures: 0 };
  const proxy = new Proxy(
    { ...store, close: async () => undefined },
    {
      get(target, key, receiver) {
        const value = Reflect.get(target, key, receiver) as unknown;
        if (typeof value !== "function") return value;
        return async (...args: unknown[]) => {
          if (state.cut) return forever();
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

describe("lifecycle events", () => {
  it("reports a run's start and finish, a retried step, and a failure, and logs each at info", async () => {
    const observer = eventLog();
    let calls = 0;
    const flaky = step({ name: "flaky", retry: { maxAttempts: 2, initialDelayMs: 1 } }, () => {
      if (++calls === 1) throw new Error("first try fails");
      return "ok";
    });
    const good = workflow("good", async (ctx) => flaky(ctx));
    const bad = workflow("bad", async () => {
      throw new Error("no luck");
    });
    const { engine, logger } = await engineOn(createMemoryStore(), [good, bad], {
      observers: [observer],
      executorId: "e-1",
    });
    await expect(engine.run(good, undefined, { id: "g" })).resolves.toBe("ok");
    await expect(engine.run(bad, undefined, { id: "b" })).rejects.toThrow("no luck");
    await engine.shutdown();

    expect(observer.events.map((e) => e.type)).toEqual([
      "workflow.started",
      "step.retried",
      "workflow.finished",
      "workflow.started",
      "workflow.failed",
    ]);
    const [started, retried, , , failed] = observer.events;
    expect(started).toMatchObject({
      run: { workflowId: "g", workflowName: "good", executorId: "e-1", cause: "start" },
    });
    expect(started?.type === "workflow.started" && started.run.recoveryAttempt).toBe(0);
    expect(retried).toMatchObject({
      type: "step.retried",
      attempt: { kind: "step", name: "flaky", position: 0, attempt: 1, run: { workflowId: "g" } },
      delayMs: 1,
    });
    expect(failed?.type === "workflow.failed" && (failed.error as Error).message).toBe("no luck");
    const info = logger.lines.filter((l) => l.level === "info").map((l) => l.fields?.["event"]);
    expect(info).toEqual([
      "workflow.started",
      "step.retried",
      "workflow.finished",
      "workflow.started",
      "workflow.failed",
    ]);
  });

  it("reports a recovered run with its cause and attempt, and a dead letter", async () => {
    const store = createMemoryStore();
    const observer = eventLog();
    const hang = workflow("hang", async (ctx) => {
      await step("s", () => 1)(ctx);
      return ctx.recv("never");
    });
    const poison = workflow({ name: "poison", maxRecoveryAttempts: 1 }, async () => forever());
    const first = view(store);
    const { engine } = await engineOn(first.store, [hang, poison], { executorId: "a" });
    await engine.start(hang, undefined, { id: "h" });
    await engine.start(poison, undefined, { id: "p" });
    first.state.cut = true; // the process "dies"
    await store.stopExecutor("a");
    const again = view(store);
    await engineOn(again.store, [hang, poison], { executorId: "b" }); // recovers both, and dies too
    again.state.cut = true;
    await store.stopExecutor("b");
    const third = await engineOn(store, [hang, poison], {
      executorId: "c",
      observers: [observer],
    });
    expect(third.report).toMatchObject({ recovered: ["h"], deadLettered: ["p"] });
    expect(observer.events[0]).toMatchObject({
      type: "workflow.recovered",
      run: { workflowId: "h", cause: "takeover", executorId: "c" },
    });
    expect(observer.events.slice(1)).toEqual([
      {
        type: "workflow.dead-lettered",
        workflowId: "p",
        workflowName: "poison",
        recoveryAttempts: 2,
        executorId: "c",
      },
    ]);
    expect(third.logger.lines.find((l) => l.level === "error")?.message).toBe(
      "workflow p moved to DEAD_LETTER",
    );
    await third.engine.shutdown();
  });

  it("hands a logger no line of a level it says it drops, and every line of the levels it keeps", async () => {
    const asked: LogLevel[] = [];
    const handed: string[] = [];
    const keep = (level: LogLevel) => (message: string) => handed.push(`${level}: ${message}`);
    const warnAndUp: Logger = {
      debug: keep("debug"),
      info: keep("info"),
      warn: keep("warn"),
      error: keep("error"),
      enabled: (level) => {
        asked.push(level);
        return level === "warn" || level === "error";
      },
    };
    const fine = workflow("fine", async () => "ok");
    const hang = step("hang", () => forever());
    const lost = workflow("lost", async (ctx) => hang(ctx));
    const { engine } = await engineOn(createMemoryStore(), [fine, lost], {
      logger: warnAndUp,
      shutdownGraceMs: 0,
    });
    await engine.run(fine, undefined, { id: "fine-1" });
    await engine.start(lost, undefined, { id: "lost-1" });
    await engine.shutdown(); // abandons the hanging step: the run stops here, a warn line
    expect(asked).toContain("info");
    expect(handed.filter((line) => line.startsWith("info") || line.startsWith("debug"))).toEqual(
      [],
    );
    expect(handed.some((line) => line.startsWith("warn") && line.includes("lost-1"))).toBe(true);

    const console = consoleLogger("warn");
    expect(["debug", "info", "warn", "error"].map((l) => console.enabled?.(l as LogLevel))).toEqual(
      [false, false, true, true],
    );
  });

  it("logs a store outage once when it starts and once when it ends, however many runs wait", async () => {
    const store = createMemoryStore();
    const { store: flaky, state } = view(store);
    const observer = eventLog();
    const go = gate();
    const flow = workflow("outage", async (ctx, n: number) => {
      await step("wait", () => go.wait)(ctx);
      return n;
    });
    const { engine, logger } = await engineOn(flaky, [flow], { observers: [observer] });
    const handles = await Promise.all(
      [1, 2, 3, 4, 5].map((n) => engine.start(flow, n, { id: `o${n}` })),
    );
    state.down = true;
    go.open(); // every step finishes while the store is away, and each run retries its write
    await vi.waitFor(() => expect(state.failures).toBeGreaterThanOrEqual(15), { timeout: 10_000 });
    state.down = false;
    await expect(Promise.all(handles.map((h) => h.result()))).resolves.toEqual([1, 2, 3, 4, 5]);
    const outage = observer.events.filter((e) => e.type.startsWith("store."));
    expect(outage.map((e) => e.type)).toEqual(["store.outage-started", "store.outage-ended"]);
    const lines = logger.lines.filter((l) => l.level !== "debug" && l.message.includes("store"));
    expect(lines.map((l) => l.level)).toEqual(["warn", "info"]);
    await engine.shutdown();
  });
});

describe("wrapping runs and attempts", () => {
  it("nests the observers' wrappers, the first outermost, around each run and step attempt", async () => {
    const trail: string[] = [];
    const wrapper = (tag: string): EngineObserver => ({
      async aroundRun(run, execute) {
        trail.push(`${tag}:run:${run.workflowId}`);
        const end = await execute();
        trail.push(`${tag}:run-end:${end.status}`);
        return end;
      },
      async aroundAttempt(attempt, execute) {
        trail.push(`${tag}:attempt:${attempt.name}#${attempt.attempt}`);
        const end = await execute();
        trail.push(`${tag}:attempt-end:${end.ok}`);
        return end;
      },
    });
    const flow = workflow("wrapped", async (ctx) => {
      trail.push("body");
      return step("s", () => (trail.push("step"), 2))(ctx);
    });
    const { engine } = await engineOn(createMemoryStore(), [flow], {
      observers: [wrapper("a"), wrapper("b")],
    });
    await expect(engine.run(flow, undefined, { id: "w" })).resolves.toBe(2);
    await engine.shutdown();
    expect(trail).toEqual([
      "a:run:w",
      "b:run:w",
      "body",
      "a:attempt:s#1",
      "b:attempt:s#1",
      "step",
      "b:attempt-end:true",
      "a:attempt-end:true",
      "b:run-end:SUCCESS",
      "a:run-end:SUCCESS",
    ]);
  });

  it("runs every workflow and step once even when observers throw or never call through", async () => {
    let stepRuns = 0;
    const broken: EngineObserver = {
      inject: () => {
        throw new Error("inject broke");
      },
      aroundRun: () => Promise.reject(new Error("aroundRun broke")),
      aroundAttempt: async () => ({ ok: true }), // claims success without running the attempt
      onEvent: () => {
        throw new Error("onEvent broke");
      },
    };
    const flow = workflow("robust", async (ctx) => {
      const value = await step("s", () => {
        stepRuns++;
        throw new Error("the step's own error");
      })(ctx).catch((error: Error) => error.message);
      return value;
    });
    const { engine, logger } = await engineOn(createMemoryStore(), [flow], {
      observers: [broken],
    });
    await expect(engine.run(flow, undefined, { id: "r" })).resolves.toBe("the step's own error");
    expect(stepRuns).toBe(1);
    await engine.shutdown();
    const warnings = logger.lines.filter((l) => l.level === "warn").map((l) => l.message);
    expect(warnings).toContain("an observer failed to inject trace context");
    expect(warnings).toContain("an observer's wrapper failed");
    expect(warnings).toContain("an observer failed on event workflow.started");
  });
});

describe("trace context", () => {
  /** Injects `{ trace: <who started it> }`: the caller, or the parent run. */
  const tracer = (caller: { current: string }): EngineObserver & { runs: RunInfo[] } => {
    const runs: RunInfo[] = [];
    return {
      runs,
      inject: (carrier, parent) => {
        carrier["trace"] = parent ? `run:${parent.workflowId}` : caller.current;
      },
      aroundRun: (run, execute) => (runs.push(run), execute()),
    };
  };

  it("stores the caller's context with a new workflow and the parent run's with a child", async () => {
    const caller = { current: "request-1" };
    const observer = tracer(caller);
    const child = workflow("child", async () => "c");
    const parent = workflow("parent", async (ctx) => child(ctx, undefined, { id: "kid" }));
    const store = createMemoryStore();
    const { engine } = await engineOn(store, [parent, child], { observers: [observer] });
    await engine.run(parent, undefined, { id: "mom" });
    expect((await store.getWorkflow("mom"))?.traceContext).toEqual({ trace: "request-1" });
    expect((await store.getWorkflow("kid"))?.traceContext).toEqual({ trace: "run:mom" });
    expect(observer.runs.map((r) => [r.workflowId, r.traceContext])).toEqual([
      ["mom", { trace: "request-1" }],
      ["kid", { trace: "run:mom" }],
    ]);
    await engine.shutdown();
  });

  it("hands a run a client started the context the client stored", async () => {
    const store = createMemoryStore();
    const flow = workflow("traced", async (ctx) => {
      await step("s", () => 1)(ctx);
      return "done";
    });
    const observer = tracer({ current: "unused" });
    const { engine } = await engineOn(store, [flow], {
      executorId: "worker",
      observers: [observer],
    });
    const client = createClient({
      store: view(store).store,
      observers: [{ inject: (carrier) => void (carrier["trace"] = "from-client") }],
    });
    const handle = await client.start("traced", undefined, { id: "t", executorId: "worker" });
    await expect(handle.result()).resolves.toBe("done");
    expect(observer.runs).toEqual([
      expect.objectContaining({
        workflowId: "t",
        cause: "pickup",
        traceContext: { trace: "from-client" },
      }),
    ]);
    await client.close();
    await engine.shutdown();
  });

  it("hands a recovered run the context stored when its workflow was created", async () => {
    const store = createMemoryStore();
    const flow = workflow("resumable", async (ctx) => {
      await step("s", () => 1)(ctx);
      return ctx.recv("never");
    });
    const first = view(store);
    const caller = { current: "request-7" };
    const { engine } = await engineOn(first.store, [flow], {
      executorId: "a",
      observers: [tracer(caller)],
    });
    await engine.start(flow, undefined, { id: "x" });
    first.state.cut = true;
    await store.stopExecutor("a");
    const observer = tracer({ current: "unused" });
    const second = await engineOn(store, [flow], { executorId: "b", observers: [observer] });
    expect(observer.runs).toEqual([
      expect.objectContaining({
        workflowId: "x",
        cause: "takeover",
        recoveryAttempt: 1,
        traceContext: { trace: "request-7" },
      }),
    ]);
    await second.engine.shutdown();
  });

  it("stores no context when no observer injects any", async () => {
    const store = createMemoryStore();
    const flow = workflow("plain", async () => 1);
    const { engine } = await engineOn(store, [flow], { observers: [eventLog()] });
    await engine.run(flow, undefined, { id: "p" });
    expect((await store.getWorkflow("p"))?.traceContext).toBeUndefined();
    await engine.shutdown();
  });
});
