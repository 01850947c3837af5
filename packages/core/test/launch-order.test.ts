import { describe, expect, it } from "vitest";
import {
  createEngine,
  workflow,
  UNASSIGNED_EXECUTOR,
  type EnginePlugin,
  type StoreNotification,
  type WorkflowStore,
} from "../src/index.js";
import { createMemoryStore } from "../src/testing/index.js";
import { gate, recordingLogger } from "./support.js";

/**
 * Launch heartbeats, listens and prepares its plugins at once, after the migration. These tests
 * pin what that must not change: nothing a notification announces is claimed before the first
 * heartbeat, and a launch that fails leaves nothing delivering notifications.
 */

const job = workflow("job", async () => "done");

/** A plugin that keeps every notification the engine hands it in `heard`. */
const listeningTo = (heard: StoreNotification[]): EnginePlugin => ({
  kind: "test/listening",
  start: (host) => host.onNotification((n) => heard.push(n)),
  stop: async () => undefined,
});

/** Another process created an unassigned workflow: an engine hearing this claims it. */
const unassigned: StoreNotification = {
  kind: "status",
  workflowId: "u",
  status: "PENDING",
  executorId: UNASSIGNED_EXECUTOR,
};

/** A memory store that records launch's calls and keeps every listener it was subscribed. */
async function watchedStore() {
  const store = createMemoryStore();
  await store.createWorkflow({
    workflowId: "u",
    name: "job",
    input: "-1",
    executorId: UNASSIGNED_EXECUTOR,
  });
  const calls: string[] = [];
  const listeners: ((notification: StoreNotification) => void)[] = [];
  const heartbeatGate = gate();
  let failHeartbeats = 0;
  let unsubscribed = 0;
  const watched: WorkflowStore = {
    ...store,
    async heartbeat(executor) {
      calls.push("heartbeat");
      await heartbeatGate.wait;
      if (failHeartbeats > 0) {
        failHeartbeats--;
        throw new Error("heartbeat lost");
      }
      await store.heartbeat(executor);
    },
    async takeOver(request) {
      calls.push("claim");
      return store.takeOver(request);
    },
    async claimRecoverable(request) {
      calls.push("claim");
      return store.claimRecoverable(request);
    },
    async subscribe(listener) {
      listeners.push(listener);
      const unsubscribe = await store.subscribe!(listener);
      calls.push("listening");
      return async () => {
        unsubscribed++;
        await unsubscribe();
      };
    },
  };
  return {
    store: watched,
    calls,
    listeners,
    openHeartbeats: heartbeatGate.open,
    failNextHeartbeat: () => void failHeartbeats++,
    unsubscribed: () => unsubscribed,
  };
}

/** Turns of the event loop: what was started has had every chance to run. */
async function turns(n = 10): Promise<void> {
  for (let i = 0; i < n; i++) await new Promise((resolve) => setImmediate(resolve));
}

describe("launch", () => {
  it("listens while its first heartbeat is in flight but claims nothing a notification announces before it", async () => {
    const t = await watchedStore();
    const engine = createEngine({ store: t.store, workflows: [job], logger: recordingLogger() });
    const launching = engine.launch();
    await turns();
    expect(t.calls).toEqual(["heartbeat", "listening"]);
    for (const listener of t.listeners) listener(unassigned);
    await turns();
    expect(t.calls).toEqual(["heartbeat", "listening"]);
    t.openHeartbeats();
    await launching;
    expect(t.calls.indexOf("claim")).toBeGreaterThan(t.calls.indexOf("heartbeat"));
    await engine.shutdown();
  });

  it("a launch whose heartbeat fails stops listening, and its subscription delivers nothing after a relaunch", async () => {
    const t = await watchedStore();
    t.failNextHeartbeat();
    t.openHeartbeats();
    const heard: StoreNotification[] = [];
    const listeningPlugin = listeningTo(heard);
    const engine = createEngine({
      store: t.store,
      workflows: [job],
      logger: recordingLogger(),
      plugins: [listeningPlugin],
    });
    await expect(engine.launch()).rejects.toThrow("heartbeat lost");
    expect(t.unsubscribed()).toBe(1);
    // postgres.js sends a LISTEN again on reconnect, even one whose launch failed.
    const [failed] = t.listeners;
    failed?.(unassigned);
    await turns();
    expect(t.calls.filter((c) => c === "claim")).toEqual([]);

    await engine.launch();
    await expect(engine.retrieve("u").result()).resolves.toBe("done");
    heard.length = 0;
    const note: StoreNotification = { kind: "event", workflowId: "w", key: "k" };
    for (const listener of t.listeners) listener(note);
    expect(heard).toEqual([note]); // the live subscription's, not the failed launch's too
    await engine.shutdown();
  });

  it("a launch whose migration fails (an outage) heartbeats, listens and prepares nothing", async () => {
    const t = await watchedStore();
    t.openHeartbeats();
    let prepares = 0;
    const plugin: EnginePlugin = {
      kind: "test/prepare",
      prepare: async () => void prepares++,
      start: () => undefined,
      stop: async () => undefined,
    };
    let migrations = 0;
    const store: WorkflowStore = {
      ...t.store,
      async migrate() {
        if (++migrations === 1) throw new Error("connection refused");
      },
    };
    const engine = createEngine({
      store,
      workflows: [job],
      logger: recordingLogger(),
      plugins: [plugin],
    });
    await expect(engine.launch()).rejects.toThrow("connection refused");
    expect([t.calls, t.listeners.length, prepares]).toEqual([[], 0, 0]);
    await engine.launch();
    expect(prepares).toBe(1);
    await engine.shutdown();
  });

  it("a plugin whose prepare fails (even by a synchronous throw) fails the launch, which can be tried again", async () => {
    const t = await watchedStore();
    t.openHeartbeats();
    let prepares = 0;
    let starts = 0;
    const plugin: EnginePlugin = {
      kind: "test/prepare",
      prepare: () => {
        prepares++;
        if (prepares === 1) throw new Error("prepare failed"); // synchronously
        return Promise.resolve();
      },
      start: () => void starts++,
      stop: async () => undefined,
    };
    const engine = createEngine({
      store: t.store,
      workflows: [job],
      logger: recordingLogger(),
      plugins: [plugin],
    });
    await expect(engine.launch()).rejects.toThrow("prepare failed");
    expect(t.unsubscribed()).toBe(1);
    expect(t.calls.includes("claim")).toBe(false);
    expect(starts).toBe(0);
    await engine.launch();
    expect([prepares, starts]).toEqual([2, 1]);
    await expect(engine.retrieve("u").result()).resolves.toBe("done");
    await engine.shutdown();
  });

  it("a shutdown closes its subscription for good: a listener the store still calls delivers nothing", async () => {
    const t = await watchedStore();
    t.openHeartbeats();
    const heard: StoreNotification[] = [];
    const listeningPlugin = listeningTo(heard);
    const engine = createEngine({
      store: t.store,
      workflows: [job],
      logger: recordingLogger(),
      plugins: [listeningPlugin],
    });
    await engine.launch();
    await engine.shutdown();
    expect(t.unsubscribed()).toBe(1);
    // postgres.js listens again after a reconnect, even for a listener whose unlisten failed.
    const note: StoreNotification = { kind: "event", workflowId: "w", key: "k" };
    for (const listener of t.listeners) listener(note);
    expect(heard).toEqual([]);
  });
});

describe("launch without notifications", () => {
  const unavailable = (logger: ReturnType<typeof recordingLogger>) =>
    logger.lines.filter((line) => line.message.includes("notifications unavailable"));

  /** `watchedStore()`, whose first `subscribe` fails as a LISTEN in an outage does. */
  async function failingFirstListen() {
    const t = await watchedStore();
    let subscribes = 0;
    const store: WorkflowStore = {
      ...t.store,
      async subscribe(listener) {
        if (++subscribes === 1) throw new Error("LISTEN failed");
        return t.store.subscribe!(listener);
      },
    };
    return { ...t, store };
  }

  it("says it polls once a launch goes on without them", async () => {
    const t = await failingFirstListen();
    t.openHeartbeats();
    const logger = recordingLogger();
    const engine = createEngine({ store: t.store, workflows: [job], logger });
    await engine.launch();
    expect(unavailable(logger)).toHaveLength(1);
    await engine.shutdown();
  });

  it("says nothing of polling when that launch fails and the relaunch listens", async () => {
    const t = await failingFirstListen();
    t.failNextHeartbeat();
    t.openHeartbeats();
    const logger = recordingLogger();
    const engine = createEngine({ store: t.store, workflows: [job], logger });
    await expect(engine.launch()).rejects.toThrow("heartbeat lost");
    await engine.launch();
    expect(t.listeners).toHaveLength(1); // the relaunch listens
    expect(unavailable(logger)).toEqual([]);
    await engine.shutdown();
  });

  it("says nothing of polling when that launch fails in recovery and the relaunch listens", async () => {
    const t = await failingFirstListen();
    t.openHeartbeats();
    let claims = 0;
    const store: WorkflowStore = {
      ...t.store,
      async claimRecoverable(request) {
        if (++claims === 1) throw new Error("connection lost mid-claim");
        return t.store.claimRecoverable(request);
      },
    };
    const logger = recordingLogger();
    const engine = createEngine({ store, workflows: [job], logger });
    await expect(engine.launch()).rejects.toThrow("connection lost mid-claim");
    await engine.launch();
    expect(t.listeners).toHaveLength(1); // the relaunch listens
    expect(unavailable(logger)).toEqual([]);
    await engine.shutdown();
  });
});
