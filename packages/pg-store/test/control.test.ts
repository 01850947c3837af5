/**
 * Control and inspection through a real engine on Postgres (skipped without a server) and on
 * PGlite: cancel a workflow blocked in a long step (its signal fires) or in a sleep, with its
 * children; a cancel, resume or fork made by a client on another connection reaches the running
 * engine by notification (every engine here polls once a minute); resume of a cancelled, failed
 * and dead-lettered workflow; fork from a position; workflow deadlines inherited by children;
 * `listWorkflows` filters and `listSteps`.
 */
import {
  createClient,
  createEngine,
  step,
  workflow,
  WorkflowCancelledError,
  type AnyWorkflow,
  type Client,
  type Engine,
  type WorkflowStore,
} from "@cairn/core";
import { beforeEach, describe, expect, it, vi } from "vitest";
import {
  Closers,
  databasePerTest,
  engineBackends,
  quietLogger,
  type TestDatabase,
} from "./support/engine-databases.js";

/**
 * Polling slower than the test timeout (60 s): a reaction before a test times out came from a
 * notification. No test measures how fast.
 */
const POLL_MS = 10 * 60_000;

/** What step bodies did, per test (keyed by workflow ID, unique per backend). */
const seen = new Map<string, unknown[]>();
const note = (workflowId: string, what: unknown) =>
  seen.set(workflowId, [...(seen.get(workflowId) ?? []), what]);
/** Step bodies that should not finish yet wait here; a test opens them. */
const gates = new Map<string, () => void>();
const waitGate = (key: string) => new Promise<void>((resolve) => gates.set(key, resolve));

/** Blocks until cancelled; reports its signal's reason. */
const blocked = step.withContext("blocked", ({ signal, workflowId }) => {
  note(workflowId, "started");
  return new Promise((_, reject) => {
    signal.addEventListener("abort", () => {
      note(workflowId, signal.reason);
      reject(new Error("aborted"));
    });
  });
});
const longStep = workflow("ctl.long-step", async (ctx) => blocked(ctx));

const sleepyChild = workflow("ctl.sleepy-child", async (ctx) => ctx.sleep("1h"));
const sleepyParent = workflow("ctl.sleepy-parent", async (ctx) => {
  await ctx.start(sleepyChild, undefined);
  await ctx.sleep("1h");
});

const first = step.withContext("first", ({ workflowId }) => {
  note(workflowId, "first");
  return "one";
});
const second = step.withContext("second", async ({ workflowId }) => {
  note(workflowId, "second");
  await waitGate(workflowId);
  return "done";
});
const resumable = workflow("ctl.resumable", async (ctx) => {
  await first(ctx);
  return second(ctx);
});

const failing = new Set<string>();
const flaky = step.withContext("flaky", ({ workflowId }) => {
  note(workflowId, "flaky");
  if (failing.has(workflowId)) throw new Error("down");
  return "up";
});
const failsOnce = workflow("ctl.fails-once", async (ctx) => [await first(ctx), await flaky(ctx)]);

const poisoned = new Set<string>();
/** Hangs while poisoned, until the engine abandons it (as a crash would end it). */
const hang = step.withContext("hang", ({ signal, workflowId }) => {
  if (!poisoned.has(workflowId)) return "healed";
  return new Promise<never>((_, reject) => {
    signal.addEventListener("abort", () => reject(new Error("abandoned")));
  });
});
const poison = workflow({ name: "ctl.poison", maxRecoveryAttempts: 1 }, async (ctx) => hang(ctx));

const counted = (name: string) =>
  step.withContext(name, ({ workflowId }) => {
    note(workflowId, name);
    return `${name}${(seen.get(workflowId) ?? []).length}`;
  });
const [a, b, c] = [counted("a"), counted("b"), counted("c")];
const forkable = workflow("ctl.forkable", async (ctx, tag: string) => [
  tag,
  await a(ctx),
  await b(ctx),
  await c(ctx),
]);

/** Finishes after a durable nap long enough for a result() waiter's back-off to grow past 1 s. */
const napper = workflow("ctl.napper", async (ctx) => {
  await ctx.sleep(1_400);
  return "rested";
});

const slowChild = workflow("ctl.slow-child", async (ctx) => ctx.sleep("1h"));
const slowParent = workflow("ctl.slow-parent", async (ctx) => slowChild(ctx, undefined));

const ok = workflow("ctl.ok", async (ctx, n: number) => step("double", () => n * 2)(ctx));
const bad = workflow("ctl.bad", async () => {
  throw new Error("nope");
});

const all: AnyWorkflow[] = [longStep, sleepyChild, sleepyParent, resumable, failsOnce, poison];
all.push(forkable, napper, slowChild, slowParent, ok, bad);

for (const backend of engineBackends) {
  describe.skipIf(backend.skip)(`control and inspection on ${backend.name}`, () => {
    let db: TestDatabase;
    const closers = new Closers();
    const id = (name: string) => `${backend.name}-${name}`;
    databasePerTest(backend, closers, () => db);
    beforeEach(() => {
      db = backend.database();
    });

    const launch = async (options: { store?: WorkflowStore; executorId?: string } = {}) => {
      const engine = createEngine({
        store: options.store ?? db.store(),
        workflows: all,
        logger: quietLogger,
        pollIntervalMs: POLL_MS,
        shutdownGraceMs: 0,
        ...(options.executorId === undefined ? {} : { executorId: options.executorId }),
      });
      closers.add(engine, (e: Engine) => e.shutdown());
      const report = await engine.launch();
      return { engine, report };
    };
    const client = (): Client =>
      closers.add(
        createClient({ store: db.store(), logger: quietLogger, pollIntervalMs: POLL_MS }),
        (c: Client) => c.close(),
      );
    const stepNames = async (engine: Engine, workflowId: string) =>
      (await engine.listSteps(workflowId)).map((s) => s.name);

    it("cancels a workflow blocked in a long step: the step's signal fires", async () => {
      const { engine } = await launch();
      const handle = await engine.start(longStep, undefined, { id: id("long") });
      await vi.waitFor(() => expect(seen.get(id("long"))).toEqual(["started"]));

      await expect(engine.cancel(id("long"))).resolves.toEqual([id("long")]);
      await expect(handle.result()).rejects.toBeInstanceOf(WorkflowCancelledError);
      const reason = seen.get(id("long"))?.[1];
      expect(WorkflowCancelledError.is(reason)).toBe(true);
      await expect(handle.status()).resolves.toMatchObject({ status: "CANCELLED" });
      expect(await engine.listSteps(id("long"))).toEqual([]);
    });

    it("cancels a sleeping workflow and its children, or only itself with children: false", async () => {
      const { engine } = await launch();
      const dad = await engine.start(sleepyParent, undefined, { id: id("dad") });
      const kid = `${id("dad")}:0`;
      await vi.waitFor(async () => expect(await stepNames(engine, id("dad"))).toHaveLength(2));

      const cancelled = await engine.cancel(id("dad"));
      expect([...cancelled].sort()).toEqual([id("dad"), kid].sort());
      await expect(dad.result()).rejects.toBeInstanceOf(WorkflowCancelledError);
      await expect(engine.retrieve(kid).result()).rejects.toBeInstanceOf(WorkflowCancelledError);

      const mum = await engine.start(sleepyParent, undefined, { id: id("mum") });
      await vi.waitFor(async () => expect(await stepNames(engine, id("mum"))).toHaveLength(2));
      await expect(engine.cancel(id("mum"), { children: false })).resolves.toEqual([id("mum")]);
      await expect(mum.result()).rejects.toBeInstanceOf(WorkflowCancelledError);
      await expect(engine.retrieve(`${id("mum")}:0`).status()).resolves.toMatchObject({
        status: "PENDING",
      });
    });

    it("delivers a cancel made by a client on another connection to the running engine", async () => {
      const { engine } = await launch();
      const handle = await engine.start(longStep, undefined, { id: id("remote") });
      await vi.waitFor(() => expect(seen.get(id("remote"))).toEqual(["started"]));

      await expect(client().cancel(id("remote"))).resolves.toEqual([id("remote")]);
      await expect(handle.result()).rejects.toBeInstanceOf(WorkflowCancelledError);
      expect(WorkflowCancelledError.is(seen.get(id("remote"))?.[1])).toBe(true);
    });

    it("delivers a cancel made by another engine on the same database", async () => {
      const running = await launch({ executorId: "runner" });
      const other = await launch({ executorId: "other" });
      const handle = await running.engine.start(longStep, undefined, { id: id("cross") });
      await vi.waitFor(() => expect(seen.get(id("cross"))).toEqual(["started"]));

      await expect(other.engine.cancel(id("cross"))).resolves.toEqual([id("cross")]);
      await expect(handle.result()).rejects.toBeInstanceOf(WorkflowCancelledError);
      expect(WorkflowCancelledError.is(seen.get(id("cross"))?.[1])).toBe(true);
    });

    it("resumes a cancelled workflow from its last completed step", async () => {
      const { engine } = await launch();
      const handle = await engine.start(resumable, undefined, { id: id("r") });
      await vi.waitFor(() => expect(seen.get(id("r"))).toEqual(["first", "second"]));
      await engine.cancel(id("r"));
      await expect(handle.result()).rejects.toBeInstanceOf(WorkflowCancelledError);

      const resumed = await engine.resume(id("r"));
      await vi.waitFor(() => expect(seen.get(id("r"))).toEqual(["first", "second", "second"]));
      gates.get(id("r"))?.();
      await expect(resumed.result()).resolves.toBe("done");
      expect(await stepNames(engine, id("r"))).toEqual(["first", "second"]);
    });

    it("resumes a failed workflow: its trailing error checkpoint is deleted and the step runs again", async () => {
      const { engine } = await launch();
      failing.add(id("f"));
      await expect(engine.run(failsOnce, undefined, { id: id("f") })).rejects.toThrow("down");
      const failed = await engine.listSteps(id("f"));
      expect(failed.map((s) => [s.name, (s.error as Error | undefined)?.message])).toEqual([
        ["first", undefined],
        ["flaky", "down"],
      ]);

      failing.delete(id("f"));
      await expect((await engine.resume(id("f"))).result()).resolves.toEqual(["one", "up"]);
      expect(seen.get(id("f"))).toEqual(["first", "flaky", "flaky"]);
      const steps = await engine.listSteps(id("f"));
      expect(steps.map((s) => [s.name, s.output])).toEqual([
        ["first", "one"],
        ["flaky", "up"],
      ]);
    });

    it("resumes a dead-lettered workflow when a client asks: a live engine picks it up at once", async () => {
      poisoned.add(id("d"));
      const starter = await launch({ executorId: "poisoned" });
      await starter.engine.start(poison, undefined, { id: id("d") });
      await starter.engine.shutdown(); // abandons the hanging step: PENDING, as after a crash
      const retry = await launch({ executorId: "poisoned" });
      expect(retry.report.recovered).toEqual([id("d")]);
      await retry.engine.shutdown();
      const last = await launch({ executorId: "poisoned" });
      expect(last.report.deadLettered).toEqual([id("d")]);
      await expect(last.engine.retrieve(id("d")).status()).resolves.toMatchObject({
        status: "DEAD_LETTER",
      });

      poisoned.delete(id("d"));
      const resumed = await client().resume(id("d"));
      await expect(last.engine.retrieve(id("d")).result()).resolves.toBe("healed");
      await expect(resumed.status()).resolves.toMatchObject({
        status: "SUCCESS",
        executorId: "poisoned",
      });
    });

    // Finishing notifies `status`, so a result() waiter outside the owning engine (a client,
    // another process) wakes at once instead of at its next poll.
    it("wakes a client's result() waiter when the workflow finishes on another connection", async () => {
      const { engine } = await launch();
      const outside = client();
      await engine.start(napper, undefined, { id: id("napper") });
      const result = outside.retrieve<typeof napper>(id("napper")).result();
      await expect(engine.retrieve(id("napper")).result()).resolves.toBe("rested");
      await expect(result).resolves.toBe("rested");
    });

    it("forks from a position: copies the checkpoints before it and runs the rest again", async () => {
      const { engine } = await launch();
      await expect(engine.run(forkable, "x", { id: id("orig") })).resolves.toEqual([
        "x",
        "a1",
        "b2",
        "c3",
      ]);
      const forked = await engine.fork(id("orig"), { fromStep: 1, id: id("copy") });
      await expect(forked.result()).resolves.toEqual(["x", "a1", "b1", "c2"]);
      await expect(forked.status()).resolves.toMatchObject({ forkedFrom: id("orig") });
      expect(seen.get(id("copy"))).toEqual(["b", "c"]);

      const viaClient = await client().fork(id("orig"), { fromStep: 2, id: id("tail") });
      await expect(viaClient.result()).resolves.toEqual(["x", "a1", "b2", "c1"]);
      expect(seen.get(id("tail"))).toEqual(["c"]);
    });

    it("cancels a workflow at its deadline, and its child inherits the deadline", async () => {
      const { engine } = await launch();
      const handle = await engine.start(slowParent, undefined, { id: id("p"), timeoutMs: 300 });
      const { deadlineAt } = await handle.status();
      expect(deadlineAt).toBeInstanceOf(Date);

      await expect(handle.result()).rejects.toBeInstanceOf(WorkflowCancelledError);
      // The deadline is on the engine's clock, which is this process's (updatedAt is not).
      expect(Date.now()).toBeGreaterThanOrEqual(deadlineAt?.getTime() ?? Infinity);
      const child = await engine.retrieve(`${id("p")}:0`).status();
      expect(child).toMatchObject({ status: "CANCELLED", parentWorkflowId: id("p") });
      expect(child.deadlineAt).toEqual(deadlineAt);
    });

    it("lists workflows by status, name, executor, parent, IDs, time and page, and their steps", async () => {
      const { engine } = await launch();
      await engine.run(ok, 1, { id: id("ok-1") });
      await engine.run(ok, 2, { id: id("ok-2") });
      await engine.run(bad, undefined, { id: id("bad-1") }).catch(() => undefined);
      // Creation times are the database's milliseconds: let one pass on its clock, not ours.
      const middle = (await engine.retrieve(id("bad-1")).status()).createdAt.getTime() + 1;
      await vi.waitFor(async () => {
        const [row] = await db.query<{ ms: string }>(
          "select floor(extract(epoch from clock_timestamp()) * 1000)::text as ms",
        );
        expect(Number(row?.ms)).toBeGreaterThan(middle + 1);
      });
      await engine.start(sleepyParent, undefined, { id: id("sp") });
      const kid = `${id("sp")}:0`;
      await vi.waitFor(async () => expect(await stepNames(engine, id("sp"))).toHaveLength(2));
      const outside = client();
      const ids = async (filter: Parameters<Client["listWorkflows"]>[0]) =>
        (await outside.listWorkflows(filter)).map((w) => w.workflowId);

      const failed = await outside.listWorkflows({ status: "ERROR" });
      expect(failed.map((w) => [w.workflowId, (w.error as Error).message])).toEqual([
        [id("bad-1"), "nope"],
      ]);
      const oks = await outside.listWorkflows({ name: "ctl.ok" });
      expect(oks.map((w) => [w.input, w.output, w.status])).toEqual([
        [1, 2, "SUCCESS"],
        [2, 4, "SUCCESS"],
      ]);
      expect(await ids({ status: ["PENDING"] })).toEqual([id("sp"), kid]);
      expect(await ids({ parentWorkflowId: id("sp") })).toEqual([kid]);
      expect(await ids({ executorId: "elsewhere" })).toEqual([]);
      expect(await ids({ workflowIds: [id("ok-2"), id("bad-1")] })).toEqual([
        id("ok-2"),
        id("bad-1"),
      ]);
      expect(await ids({ createdAfter: new Date(middle) })).toEqual([id("sp"), kid]);
      expect(await ids({ createdBefore: middle })).toEqual([id("ok-1"), id("ok-2"), id("bad-1")]);
      expect(await ids({ order: "desc", limit: 2 })).toEqual([kid, id("sp")]);
      expect(await ids({ limit: 2, offset: 1 })).toEqual([id("ok-2"), id("bad-1")]);

      expect(await outside.listSteps(id("ok-1"))).toMatchObject([
        { position: 0, name: "double", output: 2, error: undefined, attempts: 1 },
      ]);
      expect(await outside.listSteps(id("sp"))).toMatchObject([
        { position: 0, name: "workflow:ctl.sleepy-child", childWorkflowId: kid },
        { position: 1, name: "cairn.sleep" },
      ]);
    });
  });
}
