/**
 * `shutdown()` called while `launch()` waits (for the heartbeat, or for recovery): the launch
 * fails with EngineClosedError and starts nothing the shutdown stopped — no claim after the
 * heartbeat, no plugin started, no workflow recovery claimed, and the engine stays closed
 * instead of running on a closed store.
 */
import { describe, expect, it } from "vitest";
import {
  EngineClosedError,
  createEngine,
  step,
  workflow,
  type AnyWorkflow,
  type Engine,
  type EnginePlugin,
  type WorkflowStore,
} from "../src/index.js";
import { createMemoryStore } from "../src/testing/index.js";
import { gate, recordingLogger } from "./support.js";

const job = workflow("job", async () => "done");
let recoveredRuns = 0;
const left = workflow("left", async () => {
  recoveredRuns++;
  return "ran";
});

/** A store whose `method` waits for `held` once entered, and a promise of its entry. */
function holding(method: "heartbeat" | "claimRecoverable") {
  const store = createMemoryStore();
  const held = gate();
  const entered = gate();
  const calls: string[] = [];
  const watched: WorkflowStore = {
    ...store,
    async heartbeat(executor) {
      calls.push("heartbeat");
      if (method === "heartbeat") {
        entered.open();
        await held.wait;
      }
      return store.heartbeat(executor);
    },
    async claimRecoverable(request) {
      calls.push("claimRecoverable");
      if (method === "claimRecoverable") {
        entered.open();
        await held.wait;
      }
      return store.claimRecoverable(request);
    },
  };
  return { store: watched, underlying: store, held, entered, calls };
}

function countingPlugin() {
  const counts = { start: 0 };
  const plugin: EnginePlugin = {
    kind: "counting",
    start: () => void counts.start++,
    stop: async () => undefined,
  };
  return { plugin, counts };
}

/** An engine "e1" on `store` running `workflows`, with `plugins`. */
function engineOn(
  store: WorkflowStore,
  workflows: readonly AnyWorkflow[],
  plugins: readonly EnginePlugin[] = [],
): Engine {
  return createEngine({ store, workflows, executorId: "e1", logger: recordingLogger(), plugins });
}

/**
 * Launches `engine`, calls `shutdown()` once `entered` opens (the launch waits in the store),
 * then opens `held` to let the launch go on; resolves with what the launch failed with.
 */
async function shutDownWhileLaunching(
  engine: Engine,
  entered: ReturnType<typeof gate>,
  held: ReturnType<typeof gate>,
): Promise<unknown> {
  const launching = engine.launch().then(
    () => undefined,
    (error: unknown) => error,
  );
  await entered.wait;
  const shutting = engine.shutdown();
  held.open();
  const [failure] = await Promise.all([launching, shutting]);
  return failure;
}

describe("shutdown during launch", () => {
  for (const method of ["heartbeat", "claimRecoverable"] as const) {
    it(`fails the launch and starts nothing when it comes during ${method}`, async () => {
      const { store, held, entered, calls } = holding(method);
      const { plugin, counts } = countingPlugin();
      const engine = engineOn(store, [job], [plugin]);
      const failure = await shutDownWhileLaunching(engine, entered, held);
      expect(EngineClosedError.is(failure)).toBe(true);
      expect(counts.start).toBe(0); // no plugin started after its stop
      if (method === "heartbeat") expect(calls).not.toContain("claimRecoverable");
      await expect(engine.start(job, undefined)).rejects.toSatisfy(EngineClosedError.is);
      await expect(engine.launch()).rejects.toThrow(/already closed/);
    });
  }

  it("runs none of what recovery claimed when it comes while recovery claims", async () => {
    const { store, underlying, held, entered } = holding("claimRecoverable");
    // PENDING for this executor, as a process that died mid-run left it.
    await store.createWorkflow({
      workflowId: "left-1",
      name: "left",
      input: "-1",
      executorId: "e1",
    });
    // The shutdown closes the store given to the engine, not the one read afterwards.
    const engine = engineOn({ ...store, close: () => Promise.resolve() }, [left]);
    const failure = await shutDownWhileLaunching(engine, entered, held);
    expect(EngineClosedError.is(failure)).toBe(true);
    expect(recoveredRuns).toBe(0); // no body ran after the shutdown stopped the runs
    expect((await underlying.getWorkflow("left-1"))?.status).toBe("PENDING"); // for the next launch
  });
});

describe("a launch that fails after its heartbeat", () => {
  it("gives up the lease, so the others need not wait for it to take over", async () => {
    const store = createMemoryStore();
    const stopped: string[] = [];
    const beat = gate();
    const watched: WorkflowStore = {
      ...store,
      async heartbeat(executor) {
        await store.heartbeat(executor);
        beat.open();
      },
      async stopExecutor(executorId) {
        stopped.push(executorId);
        return store.stopExecutor(executorId);
      },
    };
    let prepares = 0;
    const plugin: EnginePlugin = {
      kind: "failing-once",
      prepare: async () => {
        if (++prepares > 1) return;
        await beat.wait; // the lease is taken when it fails
        throw new Error("prepare failed");
      },
      start: () => undefined,
      stop: async () => undefined,
    };
    const engine = engineOn(watched, [job], [plugin]);
    await expect(engine.launch()).rejects.toThrow("prepare failed");
    expect(stopped).toEqual(["e1"]);
    await engine.launch(); // heartbeats again: alive
    await expect(engine.run(job, undefined)).resolves.toBe("done");
    await engine.shutdown();
  });

  it("gives up the lease when its recovery fails, as when its first stage fails", async () => {
    const store = createMemoryStore();
    let claims = 0;
    const watched: WorkflowStore = {
      ...store,
      async claimRecoverable(request) {
        if (++claims === 1) throw new Error("connection lost mid-claim");
        return store.claimRecoverable(request);
      },
    };
    const engine = engineOn(watched, [job]);
    await expect(engine.launch()).rejects.toThrow("connection lost mid-claim");
    const [executor] = await store.listExecutors();
    expect(executor?.status).toBe("stopped"); // others may take its workflows over at once
    await engine.launch(); // heartbeats again: alive
    expect((await store.listExecutors())[0]?.status).toBe("alive");
    await expect(engine.run(job, undefined)).resolves.toBe("done");
    await engine.shutdown();
  });

  it("stops the runs its recovery started before it gives up the lease", async () => {
    const store = createMemoryStore();
    const entered = gate();
    let holds = 0;
    let live = false;
    // The first attempt runs until the run is abandoned (its signal aborts); later ones return.
    const hold = step.withContext("hold", ({ signal }) => {
      if (++holds > 1) return Promise.resolve("held");
      live = true;
      entered.open();
      return new Promise<string>((_, reject) => {
        signal.addEventListener("abort", () => {
          live = false;
          reject(new Error("abandoned"));
        });
      });
    });
    const slow = workflow("slow", async (ctx) => hold(ctx));
    // PENDING for this executor, as a process that died mid-run left it.
    await store.createWorkflow({ workflowId: "s-1", name: "slow", input: "-1", executorId: "e1" });
    let takeOvers = 0;
    let liveAtStop: boolean | undefined;
    const watched: WorkflowStore = {
      ...store,
      async takeOver(claim) {
        if (++takeOvers > 1) return store.takeOver(claim);
        await entered.wait; // recovery's run of s-1 is in its step
        throw new Error("connection lost mid-takeover");
      },
      async stopExecutor(executorId) {
        liveAtStop = live;
        return store.stopExecutor(executorId);
      },
    };
    const engine = createEngine({
      store: watched,
      workflows: [slow],
      executorId: "e1",
      logger: recordingLogger(),
      shutdownGraceMs: 0, // the step is abandoned at once, as a shutdown's would be
    });
    await expect(engine.launch()).rejects.toThrow("connection lost mid-takeover");
    // Others may take s-1 over once the executor is stopped: its run here had ended before.
    expect(liveAtStop).toBe(false);
    expect(await store.getWorkflow("s-1")).toMatchObject({ status: "PENDING" });
    await engine.launch(); // a created engine again: its relaunch runs s-1
    await expect(engine.retrieve("s-1").result()).resolves.toBe("held");
    await engine.shutdown();
  });

  it("stays closed when a shutdown comes while it gives up the lease", async () => {
    const store = createMemoryStore();
    const giving = gate();
    const givingUp = gate();
    const watched: WorkflowStore = {
      ...store,
      async stopExecutor(executorId) {
        givingUp.open();
        await giving.wait;
        return store.stopExecutor(executorId);
      },
      close: () => Promise.resolve(),
    };
    const plugin: EnginePlugin = {
      kind: "failing",
      prepare: () => Promise.reject(new Error("prepare failed")),
      start: () => undefined,
      stop: async () => undefined,
    };
    const engine = engineOn(watched, [job], [plugin]);
    const failure = await shutDownWhileLaunching(engine, givingUp, giving);
    expect(EngineClosedError.is(failure)).toBe(true);
    await expect(engine.launch()).rejects.toThrow(/already closed/);
  });
});

describe("a heartbeat in flight when shutdown comes", () => {
  it("lands before the shutdown marks the executor stopped, so it does not revive it", async () => {
    const store = createMemoryStore();
    let beats = 0;
    const held = gate();
    const entered = gate();
    const watched: WorkflowStore = {
      ...store,
      async heartbeat(executor) {
        if (++beats === 2) {
          entered.open(); // the lease loop's first tick, after the launch's heartbeat
          await held.wait;
        }
        return store.heartbeat(executor);
      },
      async subscribe(listener) {
        const unsubscribe = await store.subscribe!(listener);
        // Called by the shutdown beside its stop of the executor: the held heartbeat lands now.
        return async () => {
          held.open();
          await unsubscribe();
        };
      },
      close: () => Promise.resolve(), // read afterwards
    };
    const engine = createEngine({
      store: watched,
      workflows: [job],
      executorId: "e1",
      logger: recordingLogger(),
      leaseMs: 30, // the loop's tick comes within 12 ms
    });
    await engine.launch();
    await entered.wait;
    await engine.shutdown();
    const [executor] = await store.listExecutors();
    expect(executor?.status).toBe("stopped"); // others may take its workflows over at once
  });

  it("is not sent by a launch whose migration ends after the shutdown marked the executor stopped", async () => {
    const store = createMemoryStore();
    const migrated = gate();
    const migrating = gate();
    const watched: WorkflowStore = {
      ...store,
      async migrate() {
        migrating.open();
        await migrated.wait;
        return store.migrate();
      },
      async stopExecutor(executorId) {
        await store.stopExecutor(executorId);
        migrated.open(); // the migration's answer comes once the executor is marked stopped
      },
      close: () => Promise.resolve(), // read afterwards
    };
    const engine = engineOn(watched, [job]);
    const failure = await shutDownWhileLaunching(engine, migrating, gate());
    expect(EngineClosedError.is(failure)).toBe(true);
    const [executor] = await store.listExecutors();
    expect(executor?.status ?? "never alive").not.toBe("alive"); // no lease to wait out
  });
});
