import { describe, expect, it, vi } from "vitest";
import {
  createEngine,
  StoreUnavailableError,
  step,
  workflow,
  WorkflowOwnershipLostError,
  type AnyWorkflow,
  type EngineOptions,
  type WorkflowStore,
} from "../src/index.js";
import { createMemoryStore } from "../src/testing/index.js";
import { forever, gate, recordingLogger } from "./support.js";

/**
 * Several "processes" on one database, simulated in one process: each engine gets its own view
 * of one memory store, marked non-exclusive so leases matter as they do on Postgres. `cut()` kills
 * a view (its calls never return, like a SIGKILLed process), `pause()`/`resume()` freeze and thaw
 * it (SIGSTOP/SIGCONT), and `down` makes every call fail as during a database outage.
 */
interface View extends WorkflowStore {
  down: boolean;
  cut(): void;
  pause(): void;
  resume(): void;
}

function shared(store: WorkflowStore): View {
  let cut = false;
  let paused: { wait: Promise<void>; open: () => void } | undefined;
  const view = { ...store, exclusive: false, close: async () => undefined, down: false };
  const controls = {
    cut: () => void (cut = true),
    pause: () => void (paused = gate()),
    resume: () => {
      paused?.open();
      paused = undefined;
    },
  };
  return new Proxy(view, {
    get(target, key, receiver) {
      if (key in controls) return controls[key as keyof typeof controls];
      const value = Reflect.get(target, key, receiver) as unknown;
      if (typeof value !== "function") return value;
      return async (...args: unknown[]) => {
        if (cut) return forever();
        if (paused) await paused.wait;
        if (target.down) throw new StoreUnavailableError("connection refused");
        return (value as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  }) as View;
}

async function engineOn(
  store: WorkflowStore,
  workflows: AnyWorkflow[],
  options: Partial<EngineOptions> = {},
) {
  const logger = recordingLogger();
  const engine = createEngine({
    store,
    workflows,
    logger,
    pollIntervalMs: 20,
    leaseMs: 60_000,
    ...options,
  });
  const report = await engine.launch();
  return { engine, report, logger };
}

describe("executors and takeover", () => {
  it("restarting with the same configured executor ID resumes its workflows at once", async () => {
    const store = createMemoryStore();
    let hang = true;
    const flow = workflow("same-id", async (ctx) => {
      await step("one", () => 1)(ctx);
      if (hang) await forever();
      return "done";
    });
    const first = shared(store);
    await (
      await engineOn(first, [flow], { executorId: "web-1" })
    ).engine.start(flow, undefined, { id: "w" });
    await vi.waitFor(async () => expect(await store.listSteps("w")).toHaveLength(1));
    first.cut(); // the process dies; its lease (60 s) is still valid
    hang = false;
    const other = await engineOn(shared(store), [flow], { executorId: "web-2" });
    expect(other.report.recovered).toEqual([]);
    const again = await engineOn(shared(store), [flow], { executorId: "web-1" });
    expect(again.report.recovered).toEqual(["w"]);
    await expect(again.engine.retrieve("w").result()).resolves.toBe("done");
  });

  it("takes over the workflows of an executor whose lease expired, and fences off its late writes", async () => {
    const store = createMemoryStore();
    const release = gate();
    const runs: string[] = [];
    const slow = step("slow", async () => {
      runs.push("slow");
      await release.wait;
      return "late";
    });
    const flow = workflow("zombie", async (ctx) => {
      const value = await slow(ctx);
      await step("after", () => runs.push("after"))(ctx);
      return value;
    });
    const zombieView = shared(store);
    const zombie = await engineOn(zombieView, [flow], { executorId: "zombie", leaseMs: 60 });
    const zombieHandle = await zombie.engine.start(flow, undefined, { id: "z" });
    await vi.waitFor(() => expect(runs).toEqual(["slow"]));
    zombieView.pause(); // SIGSTOP: no more heartbeats; its step is still "running"

    const survivor = await engineOn(shared(store), [flow], { executorId: "survivor", leaseMs: 60 });
    await vi.waitFor(() => expect(runs).toEqual(["slow", "slow"]), { timeout: 3_000 });
    expect((await store.getWorkflow("z"))?.executorId).toBe("survivor");
    release.open();
    await expect(survivor.engine.retrieve("z").result()).resolves.toBe("late");

    zombieView.resume(); // SIGCONT: its late checkpoint write is fenced off
    await expect(zombieHandle.result()).resolves.toBe("late"); // it follows the new owner's result
    expect((await store.listSteps("z")).map((s) => s.name)).toEqual(["slow", "after"]);
    expect(runs).toEqual(["slow", "slow", "after"]);
    expect(zombie.logger.lines.some((l) => l.message.includes("no longer owns"))).toBe(true);
  });

  it("rejects a write from an execution whose claim is stale", async () => {
    const store = createMemoryStore();
    await store.createWorkflow({ workflowId: "f", name: "x", input: "-1", executorId: "a" });
    await store.claimRecoverable({ executorId: "a", names: ["x"], maxRecoveryAttempts: {} });
    const stale = { executorId: "a", epoch: 0 };
    const step0 = {
      workflowId: "f",
      position: 0,
      name: "s",
      output: "1",
      error: undefined,
      childWorkflowId: undefined,
      attempts: 1,
      startedAt: 0,
      completedAt: 0,
    };
    await expect(store.recordStep(step0, stale)).rejects.toBeInstanceOf(WorkflowOwnershipLostError);
    await expect(store.listSteps("f")).resolves.toEqual([]);
    await expect(store.recordStep(step0, { executorId: "a", epoch: 1 })).resolves.toBe(true);
  });

  it("hands work over at once on a clean shutdown", async () => {
    const store = createMemoryStore();
    const flow = workflow("handover", async (ctx) => {
      await ctx.sleep(200);
      return "finished elsewhere";
    });
    const leaving = await engineOn(shared(store), [flow], {
      executorId: "leaving",
      shutdownGraceMs: 10,
    });
    await leaving.engine.start(flow, undefined, { id: "h" });
    const staying = await engineOn(shared(store), [flow], { executorId: "staying", leaseMs: 90 });
    await leaving.engine.shutdown();
    await expect(staying.engine.retrieve("h").result()).resolves.toBe("finished elsewhere");
    await expect(staying.engine.listExecutors()).resolves.toEqual(
      expect.arrayContaining([
        expect.objectContaining({ executorId: "leaving", status: "stopped", expired: true }),
      ]),
    );
  });
});

describe("versions and patches", () => {
  it("replays old runs on the old branch and runs new ones on the patched branch", async () => {
    const store = createMemoryStore();
    let hang = true;
    const v1 = workflow("priced", async (ctx) => {
      const price = await step("price", () => 100)(ctx);
      if (hang) await forever();
      return { total: await step("tax", () => price * 1.1)(ctx) };
    });
    const first = shared(store);
    const v1Engine = await engineOn(first, [v1], { executorId: "v1", appVersion: "v1" });
    await v1Engine.engine.start(v1, undefined, { id: "old" });
    await vi.waitFor(async () => expect(await store.listSteps("old")).toHaveLength(1));
    first.cut();
    hang = false;
    const v2 = workflow("priced", async (ctx) => {
      if (await ctx.patched("flat-fee")) {
        const price = await step("price", () => 100)(ctx);
        return { total: await step("fee", () => price + 5)(ctx) };
      }
      const price = await step("price", () => 100)(ctx);
      return { total: await step("tax", () => price * 1.1)(ctx) };
    });
    // v1's executor is gone and no live executor runs v1: the v2 engine adopts the old run.
    const deployed = await engineOn(shared(store), [v2], {
      executorId: "v2",
      appVersion: "v2",
      leaseMs: 30,
    });
    await store.heartbeat({ executorId: "v1", appVersion: "v1", leaseMs: 1 });
    await vi.waitFor(async () => expect((await store.getWorkflow("old"))?.status).toBe("SUCCESS"), {
      timeout: 3_000,
    });
    await expect(deployed.engine.retrieve("old").result()).resolves.toEqual({
      total: 110.00000000000001,
    });
    await expect(deployed.engine.run(v2, undefined, { id: "new" })).resolves.toEqual({
      total: 105,
    });
    const names = (await store.listSteps("new")).map((s) => s.name);
    expect(names).toEqual(["cairn.patch:flat-fee", "price", "fee"]);
    await expect(deployed.engine.retrieve("new").status()).resolves.toMatchObject({});
    expect((await store.getWorkflow("new"))?.appVersion).toBe("v2");
  });

  it("leaves another live version's workflows alone, and moves them on request", async () => {
    const store = createMemoryStore();
    const flow = workflow("versioned", async (ctx) => {
      await ctx.sleep(50);
      return "ok";
    });
    const oldStore = shared(store);
    const old = await engineOn(oldStore, [flow], { executorId: "old", appVersion: "v1" });
    await old.engine.start(flow, undefined, { id: "v" });
    oldStore.cut(); // dies holding "v"; its lease is long
    await store.stopExecutor("old");
    await store.heartbeat({ executorId: "other-v1", appVersion: "v1", leaseMs: 60_000 }); // a live v1
    const current = await engineOn(shared(store), [flow], {
      executorId: "new",
      appVersion: "v2",
      leaseMs: 30,
    });
    await new Promise((r) => setTimeout(r, 100));
    expect((await store.getWorkflow("v"))?.executorId).toBe("old");
    await expect(current.engine.listWorkflows({ appVersion: "v1" })).resolves.toHaveLength(1);
    await expect(current.engine.moveToVersion(["v"], "v2")).resolves.toEqual(["v"]);
    await expect(current.engine.retrieve("v").result()).resolves.toBe("ok");
  });
});

describe("outages and retention", () => {
  it("records a step that finished while the store was down once the store is back", async () => {
    const store = createMemoryStore();
    const view = shared(store);
    let bodyRuns = 0;
    const flow = workflow("outage", async (ctx) => {
      const value = await step("during", () => {
        bodyRuns++;
        view.down = true; // the database goes away while the step runs
        setTimeout(() => (view.down = false), 300);
        return "kept";
      })(ctx);
      return value;
    });
    const { engine, logger } = await engineOn(view, [flow]);
    await expect(engine.run(flow, undefined, { id: "o" })).resolves.toBe("kept");
    expect(bodyRuns).toBe(1);
    expect(await store.listSteps("o")).toHaveLength(1);
    expect(logger.lines.some((l) => l.message.includes("store unavailable"))).toBe(true);
  });

  it("deletes finished workflows older than the retention age, keeping the rest", async () => {
    const store = createMemoryStore();
    const quick = workflow("quick", async (ctx) => step("s", () => 1)(ctx));
    const waiting = workflow("waiting-forever", async (ctx) => ctx.recv("never"));
    const { engine } = await engineOn(store, [quick, waiting], {
      retention: { finishedOlderThanMs: 30, intervalMs: 20 },
    });
    await engine.run(quick, undefined, { id: "old-done" });
    await engine.start(waiting, undefined, { id: "still-running" });
    await vi.waitFor(async () => expect(await store.getWorkflow("old-done")).toBeUndefined(), {
      timeout: 2_000,
    });
    expect(await store.listSteps("old-done")).toEqual([]);
    expect((await store.getWorkflow("still-running"))?.status).toBe("PENDING");
    await engine.shutdown();
  });
});
