import { describe, expect, it } from "vitest";
import {
  createClient,
  createEngine,
  InvalidOptionError,
  workflow,
  WorkflowNotRegisteredError,
  type WorkflowStore,
} from "../src/index.js";
import { createMemoryStore } from "../src/testing/index.js";
import { recordingLogger } from "./support.js";

/** A view that leaves the shared store open when a client or engine closes it. */
const view = (store: WorkflowStore): WorkflowStore => ({
  ...store,
  exclusive: false,
  close: async () => undefined,
});

/** Polls `condition` until it holds (no wall-clock assertion: the test's timeout bounds it). */
async function until(condition: () => boolean | Promise<boolean>): Promise<void> {
  while (!(await condition())) await new Promise((resolve) => setTimeout(resolve, 5));
}

const HOUR_MS = 3_600_000;
const greet = workflow("greet", async (_ctx, name: string) => `hello ${name}`);

describe("starting a workflow by a name no engine registers", () => {
  it("fails fast with WorkflowNotRegisteredError and writes nothing", async () => {
    const store = createMemoryStore();
    const engine = createEngine({
      store: view(store),
      workflows: [greet],
      logger: recordingLogger(),
    });
    await engine.launch();
    const client = createClient({ store: view(store) });
    try {
      const error = await client.start("gret", "Ada", { id: "typo" }).catch((e: unknown) => e);
      expect(WorkflowNotRegisteredError.is(error)).toBe(true);
      expect((error as WorkflowNotRegisteredError).workflowName).toBe("gret");
      expect((error as Error).message).toContain("not registered by any live engine");
      expect(await store.getWorkflow("typo")).toBeUndefined();
      await expect(client.startMany("gret", [{ input: "a", id: "many" }])).rejects.toThrow(
        WorkflowNotRegisteredError,
      );
      expect(await store.getWorkflow("many")).toBeUndefined();
      // A registered name starts and runs as before.
      const handle = await client.start<typeof greet>("greet", "Ada");
      await expect(handle.result()).resolves.toBe("hello Ada");
    } finally {
      await client.close();
      await engine.shutdown();
    }
  });

  it("starts it anyway with allowUnregistered, and an engine that registers it runs it later", async () => {
    const store = createMemoryStore();
    const other = workflow("other", async () => 1);
    const early = createEngine({
      store: view(store),
      workflows: [other],
      logger: recordingLogger(),
    });
    await early.launch();
    const client = createClient({ store: view(store), pollIntervalMs: 10 });
    try {
      const handle = await client.start<typeof greet>("greet", "Bo", { allowUnregistered: true });
      expect((await store.getWorkflow(handle.workflowId))?.status).toBe("PENDING");
      const late = createEngine({
        store: view(store),
        workflows: [greet],
        logger: recordingLogger(),
        pollIntervalMs: 10,
      });
      await late.launch();
      await expect(handle.result()).resolves.toBe("hello Bo");
      await late.shutdown();
    } finally {
      await client.close();
      await early.shutdown();
    }
  });

  it("refuses an allowUnregistered that is not a boolean, writing nothing", async () => {
    const store = createMemoryStore();
    const client = createClient({ store: view(store) });
    const options = { id: "x", allowUnregistered: "yes" as unknown as boolean };
    await expect(client.start("greet", 1, options)).rejects.toThrow(InvalidOptionError);
    expect(await store.getWorkflow("x")).toBeUndefined();
    await client.close();
  });

  it("lets every name through when no engine was seen, or one advertises no names", async () => {
    const store = createMemoryStore();
    const client = createClient({ store: view(store) });
    try {
      // No engine at all (a client-only test, engines not deployed yet): nothing to go by.
      await client.start("anything", 1, { id: "a" });
      // An engine of an older Cairn heartbeats without names: it may run anything.
      await store.heartbeat({ executorId: "old", appVersion: undefined, leaseMs: HOUR_MS });
      await store.heartbeat({
        executorId: "new",
        appVersion: undefined,
        leaseMs: HOUR_MS,
        workflowNames: ["greet"],
      });
      await client.start("anything-else", 1, { id: "b" });
      expect((await store.getWorkflow("b"))?.status).toBe("PENDING");
    } finally {
      await client.close();
    }
  });

  it("counts engines that stopped in the last minute, not those long gone", async () => {
    let now = Date.UTC(2026, 0, 1);
    const store = createMemoryStore({ now: () => now });
    const client = createClient({ store: view(store) });
    try {
      const names = (workflowNames: string[]) => ({
        appVersion: undefined,
        leaseMs: 1_000,
        workflowNames,
      });
      await store.heartbeat({ executorId: "billing", ...names(["invoice"]) });
      await store.heartbeat({ executorId: "mail", ...names(["email"]) });
      await store.stopExecutor("billing"); // restarting
      now += 30_000;
      await store.heartbeat({ executorId: "mail", ...names(["email"]) });
      await client.start("invoice", 1, { id: "during-restart" });
      now += 60_000;
      await store.heartbeat({ executorId: "mail", ...names(["email"]) });
      // A new client: the first one answers from what it read for 5 s (real time).
      const fresh = createClient({ store: view(store) });
      await expect(fresh.start("invoice", 1, { id: "gone" })).rejects.toThrow(
        WorkflowNotRegisteredError,
      );
      await fresh.close();
      expect(await store.getWorkflow("gone")).toBeUndefined();
    } finally {
      await client.close();
    }
  });

  it("checks the named executor when it is alive: no other engine would take the workflow over", async () => {
    const store = createMemoryStore();
    const both = (executorId: string, workflowNames: string[]) =>
      store.heartbeat({ executorId, appVersion: undefined, leaseMs: HOUR_MS, workflowNames });
    await both("mail", ["email"]);
    await both("billing", ["invoice"]);
    const client = createClient({ store: view(store) });
    try {
      const error = await client
        .start("invoice", 1, { id: "wrong", executorId: "mail" })
        .catch((e: unknown) => e);
      expect(WorkflowNotRegisteredError.is(error)).toBe(true);
      expect((error as Error).message).toContain('not registered by executor "mail"');
      await client.start("invoice", 1, { id: "right", executorId: "billing" });
      // An executor not (yet) alive: whichever live engine runs the name takes it over.
      await client.start("invoice", 1, { id: "later", executorId: "billing-2" });
      await expect(client.assertRegistered("email", { executorId: "billing" })).rejects.toThrow(
        WorkflowNotRegisteredError,
      );
    } finally {
      await client.close();
    }
  });

  it("reads the advertised names once for many starts of names it found", async () => {
    const store = createMemoryStore();
    await store.heartbeat({
      executorId: "e",
      appVersion: undefined,
      leaseMs: HOUR_MS,
      workflowNames: ["greet"],
    });
    const client = createClient({ store: view(store) });
    try {
      await Promise.all([1, 2, 3].map((i) => client.start("greet", i)));
      await client.start("greet", 4);
      expect(store.calls.listExecutors).toBe(1);
    } finally {
      await client.close();
    }
  });
});

describe("an engine meeting workflows of a name it does not register", () => {
  it("logs the unknown name once, not on every claim", async () => {
    const store = createMemoryStore();
    const logger = recordingLogger();
    // A short lease: a takeover every 10 ms meets the unknown workflows each time.
    const engine = createEngine({ store: view(store), workflows: [greet], logger, leaseMs: 30 });
    await engine.launch();
    const client = createClient({ store: view(store) });
    try {
      await client.start("ghost", 1, { id: "g1", allowUnregistered: true });
      await client.start("ghost", 2, { id: "g2", allowUnregistered: true });
      const claims = store.calls.takeOver;
      await until(() => store.calls.takeOver >= claims + 10);
      const about = logger.lines.filter((line) => line.message.includes('"ghost"'));
      expect(about).toHaveLength(1);
      expect(about[0]?.level).toBe("error");
      expect((await store.getWorkflow("g1"))?.status).toBe("PENDING");
    } finally {
      await client.close();
      await engine.shutdown();
    }
  });

  it("does not try to claim unassigned work of a name it does not register on every poll", async () => {
    const store = createMemoryStore();
    const engine = createEngine({
      store: view(store),
      workflows: [greet],
      logger: recordingLogger(),
      pollIntervalMs: 5,
    });
    await engine.launch();
    const client = createClient({ store: view(store) });
    try {
      await client.start("ghost", 1, { id: "g1", allowUnregistered: true });
      // The start's notification may bring one claim; the polls after it bring none.
      const polls = store.calls.listRunnable;
      await until(() => store.calls.listRunnable >= polls + 3);
      const claims = store.calls.takeOver;
      await until(() => store.calls.listRunnable >= polls + 13);
      expect(store.calls.takeOver).toBe(claims);
      // Unassigned work it registers is still claimed by the poll.
      const handle = await client.start<typeof greet>("greet", "Cy");
      await expect(handle.result()).resolves.toBe("hello Cy");
    } finally {
      await client.close();
      await engine.shutdown();
    }
  });
});
