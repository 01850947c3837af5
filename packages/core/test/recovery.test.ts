import { afterEach, describe, expect, it, vi } from "vitest";
import {
  createEngine,
  NonDeterminismError,
  step,
  workflow,
  WorkflowDeadLetteredError,
  type AnyWorkflow,
  type WorkflowStore,
} from "../src/index.js";
import { createMemoryStore } from "../src/testing/index.js";
import { forever, gate, recordingLogger } from "./support.js";

/**
 * In-process "crashes": the first engine is simply abandoned while a step hangs forever, and a
 * second engine with the same executor ID launches on the same store. (Real SIGKILL tests live in
 * pg-store/test/crash-recovery.test.ts.)
 */
async function engineOn(
  store: WorkflowStore,
  workflows: AnyWorkflow[],
  logger = recordingLogger(),
  pollIntervalMs?: number,
) {
  // Runs that wait in memory across a restart (suspended ones: suspension.test.ts).
  const engine = createEngine({
    store,
    workflows,
    logger,
    suspendAfterMs: Number.POSITIVE_INFINITY,
    ...(pollIntervalMs === undefined ? {} : { pollIntervalMs }),
  });
  const report = await engine.launch();
  return { engine, report, logger };
}

afterEach(() => {
  vi.useRealTimers();
});

describe("recovery", () => {
  it("resumes from the last checkpoint: recorded steps never run again, the interrupted one does", async () => {
    const runs: string[] = [];
    let crash = true;
    const reserve = step("reserve", () => (runs.push("reserve"), "R1"));
    const charge = step("charge", async () => {
      runs.push("charge");
      if (crash) return forever();
      return "paid";
    });
    const checkout = workflow("checkout", async (ctx, id: string) => {
      const reservation = await reserve(ctx);
      const payment = await charge(ctx);
      return `${id}:${reservation}:${payment}`;
    });
    const store = createMemoryStore();
    const first = await engineOn(store, [checkout]);
    const reached = gate();
    void first.engine.start(checkout, "o1", { id: "o1" }).then(() => setTimeout(reached.open, 5));
    await reached.wait;
    expect(runs).toEqual(["reserve", "charge"]);

    crash = false;
    const second = await engineOn(store, [checkout]);
    expect(second.report.recovered).toEqual(["o1"]);
    await expect(second.engine.retrieve("o1").result()).resolves.toBe("o1:R1:paid");
    expect(runs).toEqual(["reserve", "charge", "charge"]);
    await expect(second.engine.retrieve("o1").status()).resolves.toMatchObject({
      recoveryAttempts: 1,
    });
  });

  it("fails the workflow with NonDeterminismError naming both steps when the code changed", async () => {
    const store = createMemoryStore();
    const original = workflow("flow", async (ctx) => {
      await step("first", () => 1)(ctx);
      return forever();
    });
    const first = await engineOn(store, [original]);
    await first.engine.start(original, undefined, { id: "nd" });
    await vi.waitFor(async () => expect(await store.listSteps("nd")).toHaveLength(1));

    const changed = workflow("flow", async (ctx) => step("renamed", () => 1)(ctx));
    const second = await engineOn(store, [changed]);
    const error = await second.engine
      .retrieve("nd")
      .result()
      .catch((e: unknown) => e);
    expect(NonDeterminismError.is(error)).toBe(true);
    expect(error).toMatchObject({ recordedName: "first", calledName: "renamed", position: 0 });
    await expect(second.engine.retrieve("nd").status()).resolves.toMatchObject({ status: "ERROR" });
  });

  it("replays ctx.now, ctx.random and ctx.uuid with their recorded values", async () => {
    const store = createMemoryStore();
    let crash = true;
    const values = workflow("values", async (ctx) => {
      const seen = [await ctx.now(), await ctx.random(), await ctx.uuid()] as const;
      if (crash) await forever();
      return seen;
    });
    const first = await engineOn(store, [values]);
    await first.engine.start(values, undefined, { id: "v" });
    await vi.waitFor(async () => expect(await store.listSteps("v")).toHaveLength(3));
    const recorded = (await store.listSteps("v")).map((s) => s.output);
    crash = false;
    const second = await engineOn(store, [values]);
    const [now, random, uuid] = await second.engine
      .retrieve<readonly [number, number, string]>("v")
      .result();
    expect(typeof now).toBe("number");
    expect(random).toBeGreaterThanOrEqual(0);
    expect(uuid).toMatch(/^[0-9a-f-]{36}$/);
    expect((await store.listSteps("v")).map((s) => s.output)).toEqual(recorded);
  });

  it("sleeps durably: after a restart it waits only what remains", async () => {
    vi.useFakeTimers({ now: 0 });
    const store = createMemoryStore();
    let wokeAt = -1;
    const napper = workflow("napper", async (ctx) => {
      await ctx.sleep("1h");
      wokeAt = Date.now();
      return "rested";
    });
    // The sleep is a timer here; polls every 10 minutes keep the fake hour to a few dozen timer
    // firings (at the default second it was 3,600 polls, which took 5 s on a loaded machine).
    const poll = 10 * 60_000;
    const first = await engineOn(createMemoryStoreView(store), [napper], recordingLogger(), poll);
    await first.engine.start(napper, undefined, { id: "nap" });
    await vi.advanceTimersByTimeAsync(40 * 60_000); // the process "dies" 40 minutes in
    await first.engine.shutdown().catch(() => undefined);

    const second = await engineOn(store, [napper], recordingLogger(), poll);
    expect(second.report.recovered).toEqual(["nap"]);
    await vi.advanceTimersByTimeAsync(20 * 60_000);
    await expect(second.engine.retrieve("nap").result()).resolves.toBe("rested");
    expect(wokeAt).toBe(60 * 60_000);
  });

  it("finds the same child workflow on replay instead of starting another", async () => {
    const store = createMemoryStore();
    let childRuns = 0;
    let crash = true;
    const child = workflow("child", async (_ctx, n: number) => (++childRuns, n * 10));
    const parent = workflow("parent", async (ctx, n: number) => {
      const handle = await ctx.start(child, n);
      const viaCall = await child(ctx, n + 1);
      if (crash) await forever();
      return (await handle.result()) + viaCall;
    });
    const first = await engineOn(store, [parent, child]);
    await first.engine.start(parent, 1, { id: "p" });
    await vi.waitFor(async () => expect(await store.listSteps("p")).toHaveLength(2));
    const children = (await store.listSteps("p")).map((s) => s.childWorkflowId);
    expect(children).toEqual(["p:0", "p:1"]);

    crash = false;
    const second = await engineOn(store, [parent, child]);
    await expect(second.engine.retrieve("p").result()).resolves.toBe(30);
    expect(childRuns).toBe(2);
    await expect(second.engine.retrieve("p:0").status()).resolves.toMatchObject({
      parentWorkflowId: "p",
    });
  });

  it("moves a workflow that keeps crashing without progress to DEAD_LETTER", async () => {
    const store = createMemoryStore();
    const poison = workflow({ name: "poison", maxRecoveryAttempts: 2 }, async () => forever());
    const first = await engineOn(store, [poison]);
    await first.engine.start(poison, undefined, { id: "bad" });
    const reports = [];
    for (let i = 0; i < 3; i++) reports.push((await engineOn(store, [poison])).report);
    expect(reports.map((r) => [r.recovered.length, r.deadLettered.length])).toEqual([
      [1, 0],
      [1, 0],
      [0, 1],
    ]);
    const last = await engineOn(store, [poison]);
    await expect(last.engine.retrieve("bad").status()).resolves.toMatchObject({
      status: "DEAD_LETTER",
      recoveryAttempts: 3,
    });
    await expect(last.engine.retrieve("bad").result()).rejects.toBeInstanceOf(
      WorkflowDeadLetteredError,
    );
  });

  it("leaves workflows of unregistered names PENDING and reports them", async () => {
    const store = createMemoryStore();
    const gone = workflow("gone", async () => forever());
    const first = await engineOn(store, [gone]);
    await first.engine.start(gone, undefined, { id: "g" });
    const second = await engineOn(store, []);
    expect(second.report.unknown).toEqual([{ workflowId: "g", name: "gone" }]);
    expect(
      second.logger.lines.some((l) => l.level === "error" && l.message.includes('"gone"')),
    ).toBe(true);
    await expect(second.engine.retrieve("g").status()).resolves.toMatchObject({
      status: "PENDING",
    });
  });

  it("a launch whose recovery claim failed can be retried, and the retry recovers", async () => {
    let unfinished = true;
    const hang = workflow("hang", async (ctx) => {
      await step("first", () => 1)(ctx);
      await step("second", () => (unfinished ? forever() : 2))(ctx);
      return "recovered";
    });
    const store = createMemoryStore();
    const first = await engineOn(store, [hang]);
    void first.engine.start(hang, undefined, { id: "h" });
    await vi.waitFor(async () => expect(await store.listSteps("h")).toHaveLength(1));
    unfinished = false;

    // The server restarts just as the next process claims: its launch fails, and it must be
    // able to launch again rather than stay half-started (listening, never recovering).
    let failClaim = true;
    let subscriptions = 0;
    const flaky: WorkflowStore = {
      ...store,
      async claimRecoverable(claim) {
        if (failClaim) throw new Error("connection terminated");
        return store.claimRecoverable(claim);
      },
      async subscribe(listener) {
        const unsubscribe = await store.subscribe!(listener);
        subscriptions++;
        return async () => (subscriptions--, unsubscribe());
      },
    };
    const second = createEngine({ store: flaky, workflows: [hang], logger: recordingLogger() });
    await expect(second.launch()).rejects.toThrow("connection terminated");
    expect(subscriptions).toBe(0);
    failClaim = false;
    await expect(second.launch()).resolves.toMatchObject({ recovered: ["h"] });
    expect(subscriptions).toBe(1);
    await expect(second.retrieve("h").result()).resolves.toBe("recovered");
    await second.shutdown();
  });

  it("shutdown leaves unfinished workflows PENDING and the next launch resumes them", async () => {
    vi.useFakeTimers({ now: 0 });
    const store = createMemoryStore();
    const waiter = workflow("waiter", async (ctx) => {
      await step("before", () => "x")(ctx);
      // A minute, not an hour: advancing fake time runs every poll in between (one a second),
      // and an hour's 3,600 of them took over 5 s on a loaded CI machine.
      await ctx.sleep("1m");
      return "done";
    });
    const first = await engineOn(createMemoryStoreView(store), [waiter]);
    const handle = await first.engine.start(waiter, undefined, { id: "s" });
    await vi.waitFor(async () => expect(await store.listSteps("s")).toHaveLength(2));
    const interrupted = handle.result().catch((e: unknown) => e);
    await first.engine.shutdown();
    expect(await interrupted).toMatchObject({ name: "WorkflowInterruptedError" });
    await expect(store.getWorkflow("s")).resolves.toMatchObject({ status: "PENDING" });

    const second = await engineOn(store, [waiter]);
    expect(second.report.recovered).toEqual(["s"]);
    await vi.advanceTimersByTimeAsync(60_000);
    await expect(second.engine.retrieve("s").result()).resolves.toBe("done");
  });
});

describe("shutdown", () => {
  it("does not hang on a workflow body stuck on a promise Cairn does not own", async () => {
    const stuck = workflow("stuck", async () => forever());
    const engine = createEngine({
      store: createMemoryStore(),
      workflows: [stuck],
      logger: recordingLogger(),
      shutdownGraceMs: 0,
    });
    await engine.launch();
    await engine.start(stuck, undefined);
    await expect(engine.shutdown()).resolves.toBeUndefined();
  });
});

/** A view of a store whose close() does not close the shared one: a "new process" on the same data. */
function createMemoryStoreView(store: WorkflowStore): WorkflowStore {
  return { ...store, close: async () => undefined };
}
