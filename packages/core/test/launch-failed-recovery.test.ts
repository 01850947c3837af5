/**
 * A launch whose recovery fails stops the runs it had started before it gives up the lease
 * (launch-shutdown has the basic case). While it waits for them it keeps the lease, its waits
 * are bounded (a claim under way may hang), and a shutdown that comes meanwhile ends the wait
 * without replacing the store's error.
 */
import { describe, expect, it } from "vitest";
import {
  EngineClosedError,
  UNASSIGNED_EXECUTOR,
  createEngine,
  step,
  workflow,
  type WorkflowStore,
} from "../src/index.js";
import { createMemoryStore } from "../src/testing/index.js";
import { forever, gate, recordingLogger } from "./support.js";

const job = workflow("job", async () => "done");

describe("a launch whose recovery fails", () => {
  it("rejects with the store's error though a claim a notification started hangs", async () => {
    const store = createMemoryStore();
    const recovering = gate();
    const fail = gate();
    const hanging = gate();
    const watched: WorkflowStore = {
      ...store,
      exclusive: false,
      async claimRecoverable() {
        recovering.open();
        await fail.wait;
        throw new Error("connection lost mid-recovery");
      },
      async takeOver() {
        hanging.open();
        return forever();
      },
      close: () => Promise.resolve(),
    };
    const engine = createEngine({
      store: watched,
      workflows: [job],
      executorId: "e1",
      logger: recordingLogger(),
      shutdownGraceMs: 0,
    });
    const launching = engine.launch();
    await recovering.wait;
    // Wakeups are released before recovery: this notification starts a takeover, which hangs.
    await store.createWorkflow({
      workflowId: "u-1",
      name: "job",
      input: "-1",
      executorId: UNASSIGNED_EXECUTOR,
      notify: true,
    });
    await hanging.wait;
    fail.open();
    // Without a bound on the wait for claims under way, it never settled.
    await expect(launching).rejects.toThrow("connection lost mid-recovery");
    await engine.shutdown();
  });

  it("keeps its lease while its runs stop, so no other engine takes over a step still running here", async () => {
    // The store's clock is the test's: a lease runs out only when the test moves it, never
    // because a busy machine delayed a timer.
    let storeNow = 1_000_000;
    const store = createMemoryStore({ now: () => storeNow });
    const leaseMs = 300;
    const entered = gate();
    const release = gate();
    let live = 0;
    let maxLive = 0;
    // Ignores its signal, as a call to another system may: it ends when the test says so.
    const work = step("work", async () => {
      live++;
      maxLive = Math.max(maxLive, live);
      entered.open();
      await release.wait;
      live--;
      return "ok";
    });
    const slow = workflow("slow", async (ctx) => work(ctx));
    await store.createWorkflow({ workflowId: "s-1", name: "slow", input: "-1", executorId: "e1" });

    let lapsedAt = Infinity; // store time past every lease e1 held before its takeover failed
    const renewed = gate(); // e1 heartbeat at or after lapsedAt
    let takeOvers = 0;
    const e1 = createEngine({
      store: {
        ...store,
        exclusive: true, // recovery runs s-1, then takes over (and fails)
        async heartbeat(executor) {
          await store.heartbeat(executor);
          if (storeNow >= lapsedAt) renewed.open();
        },
        async takeOver(claim) {
          if (++takeOvers > 1) return store.takeOver(claim);
          await entered.wait; // recovery's run of s-1 is in its step
          storeNow += 10 * leaseMs; // the launch's heartbeat alone no longer holds the lease
          lapsedAt = storeNow;
          throw new Error("connection lost mid-takeover");
        },
        close: () => Promise.resolve(),
      },
      workflows: [slow],
      executorId: "e1",
      logger: recordingLogger(),
      leaseMs,
      shutdownGraceMs: 60_000, // the step ends first
    });
    const launching = e1.launch();
    launching.catch(() => undefined);
    // Without the heartbeats while its runs stop, none comes after the lease lapsed (the test
    // times out here), and e2 below took s-1 over with its step still live here.
    await renewed.wait;

    const takenWhileLive: string[] = [];
    const e2 = createEngine({
      store: {
        ...store,
        exclusive: false,
        async takeOver(claim) {
          const result = await store.takeOver(claim);
          if (live > 0) takenWhileLive.push(...result.recovered.map((r) => r.workflowId));
          return result;
        },
        close: () => Promise.resolve(),
      },
      workflows: [slow],
      executorId: "e2",
      logger: recordingLogger(),
      leaseMs,
    });
    await e2.launch(); // its launch looks for work to take over at once
    expect(takenWhileLive).toEqual([]);
    release.open();

    await expect(launching).rejects.toThrow("connection lost mid-takeover");
    expect(takenWhileLive).toEqual([]);
    // Once e1 gave up the lease, e2 takes s-1 over and finishes it from the step's checkpoint.
    await expect(e2.retrieve("s-1").result()).resolves.toBe("ok");
    expect(maxLive).toBe(1);
    await e2.shutdown();
    await e1.shutdown();
  }, 20_000);

  it("rejects with the store's error when a shutdown comes while its runs stop", async () => {
    const store = createMemoryStore();
    const entered = gate();
    const release = gate();
    const stopping = gate();
    const hold = step("hold", async () => {
      entered.open();
      await release.wait;
      return "held";
    });
    const slow = workflow("slow", async (ctx) => hold(ctx));
    await store.createWorkflow({ workflowId: "s-1", name: "slow", input: "-1", executorId: "e1" });
    let failed = false;
    let takeOvers = 0;
    const watched: WorkflowStore = {
      ...store,
      exclusive: true,
      async heartbeat(executor) {
        if (failed) stopping.open(); // the launch keeps its lease while its runs stop
        return store.heartbeat(executor);
      },
      async takeOver(claim) {
        if (++takeOvers > 1) return store.takeOver(claim);
        await entered.wait;
        failed = true;
        throw new Error("connection lost mid-takeover");
      },
      close: () => Promise.resolve(),
    };
    const engine = createEngine({
      store: watched,
      workflows: [slow],
      executorId: "e1",
      logger: recordingLogger(),
      shutdownGraceMs: 60_000,
    });
    const launching = engine.launch().catch((error: unknown) => error);
    await stopping.wait;
    const closing = engine.shutdown();
    // The shutdown stops the run itself: the launch's wait ends before the step does.
    const failure = await launching;
    release.open();
    await closing;
    // Not "launch() was called after shutdown()": the launch had failed, and says why.
    expect(EngineClosedError.is(failure)).toBe(false);
    expect(String(failure)).toContain("connection lost mid-takeover");
    await expect(engine.launch()).rejects.toThrow(/already closed/);
  });
});
