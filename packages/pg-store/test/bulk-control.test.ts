/**
 * Cancel and resume many at once, and deadlines, through real engines on Postgres (skipped
 * without a server) and PGlite: `cancelMany` cascades to children and stops the runs;
 * `resumeMany` from the engine runs failed workflows again, from a client on another connection
 * hands them to the live engine, and puts queued ones back in their queue; a parent's timeout
 * cancels the children that inherited its deadline, not one detached from it; the engine's
 * `workflowTimeoutMs` (also for what its queues enqueue); `ctx.start`'s attributes.
 */
import {
  createClient,
  createEngine,
  step,
  workflow,
  WorkflowCancelledError,
  type AnyWorkflow,
  type Engine,
  type EngineOptions,
} from "@cairn/core";
import { createVirtualClock } from "@cairn/core/testing";
import { createQueues, defineQueue } from "@cairn/queue";
import { createPgQueueStore } from "../src/queue/index.js";
import type { PgStore } from "../src/index.js";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { launchQueueEngine } from "./queue/support.js";
import {
  Closers,
  engineBackends,
  quietLogger,
  type TestDatabase,
} from "./support/engine-databases.js";

const napChild = workflow("bulk.nap-child", async (ctx) => ctx.sleep("1h"));
const napper = workflow("bulk.napper", async (ctx) => {
  await ctx.start(napChild, undefined);
  await ctx.sleep("1h");
});
const broken = new Set<string>();
const flaky = step.withContext("bulk.flaky", ({ workflowId }) => {
  if (broken.has(workflowId)) throw new Error("down");
  return "up";
});
const fragile = workflow("bulk.fragile", async (ctx) => flaky(ctx));
const waiter = workflow("bulk.waiter", async (ctx) => ctx.recv<string>("go"));
const family = workflow("bulk.family", async (ctx) => {
  await ctx.start(waiter, undefined, { id: `${ctx.workflowId}-inherits` });
  await ctx.start(waiter, undefined, {
    id: `${ctx.workflowId}-detached`,
    inheritDeadline: false,
    attributes: { role: "detached", family: ctx.workflowId },
  });
  await ctx.sleep("1d");
});
const all: AnyWorkflow[] = [napChild, napper, fragile, waiter, family];
const retries = defineQueue("bulk-retries", { concurrency: 2 });

describe.each(engineBackends)("cancel and resume many on $name", (backend) => {
  const closers = new Closers();
  let db: TestDatabase;
  beforeAll(() => backend.open());
  afterAll(() => backend.close());
  afterEach(async () => {
    await closers.closeAll();
    await db.drop();
  });

  const launch = async (options: Partial<EngineOptions> = {}) => {
    const engine = createEngine({
      store: db.store(),
      workflows: all,
      logger: quietLogger,
      shutdownGraceMs: 0,
      ...options,
    });
    closers.add(engine, (e: Engine) => e.shutdown());
    await engine.launch();
    return engine;
  };
  const failed = async (engine: Engine, id: string) => {
    broken.add(id);
    await expect(engine.run(fragile, undefined, { id })).rejects.toThrow("down");
    broken.delete(id);
  };

  it.skipIf(backend.skip)("cancels many with their children and says what it skipped", async () => {
    db = backend.database();
    const engine = await launch();
    const handles = [];
    for (const id of ["n1", "n2"]) {
      handles.push(await engine.start(napper, undefined, { id }));
      await expect.poll(async () => (await engine.listSteps(id)).length).toBe(2);
    }
    await failed(engine, "gone-wrong");

    const result = await engine.cancelMany({ workflowIds: ["n1", "n2", "gone-wrong", "ghost"] });
    expect([...result.cancelled].sort()).toEqual(["n1", "n1:0", "n2", "n2:0"]);
    expect(result.skipped).toEqual(
      expect.arrayContaining([
        { workflowId: "gone-wrong", reason: "status", status: "ERROR" },
        { workflowId: "ghost", reason: "not-found" },
      ]),
    );
    for (const handle of handles)
      await expect(handle.result()).rejects.toBeInstanceOf(WorkflowCancelledError);
  });

  it.skipIf(backend.skip)(
    "resumes many from the engine and from a client, each run again by an engine",
    async () => {
      db = backend.database();
      const engine = await launch({ executorId: "bulk-engine" });
      for (const id of ["e1", "e2", "c1"]) await failed(engine, id);

      const here = await engine.resumeMany({ workflowIds: ["e1", "e2"] });
      expect([...here.resumed].sort()).toEqual(["e1", "e2"]);
      await expect(engine.retrieve("e1").result()).resolves.toBe("up");
      await expect(engine.retrieve("e2").result()).resolves.toBe("up");

      const client = closers.add(createClient({ store: db.store(), logger: quietLogger }), (c) =>
        c.close(),
      );
      const there = await client.resumeMany({ name: "bulk.fragile" });
      expect(there).toEqual({ resumed: ["c1"], skipped: [] });
      await expect(client.retrieve("c1").result()).resolves.toBe("up");
    },
  );

  it.skipIf(backend.skip)("puts queued workflows it resumes back in their queue", async () => {
    db = backend.database();
    const { engine } = await launchQueueEngine(db, { workflows: all, serve: [retries] });
    closers.add(engine, (e) => e.shutdown());
    for (const id of ["q1", "q2"]) {
      broken.add(id);
      const handle = await retries.enqueue(engine, fragile, undefined, { id });
      await expect(handle.result()).rejects.toThrow("down");
      broken.delete(id);
    }
    const client = closers.add(createClient({ store: db.store(), logger: quietLogger }), (c) =>
      c.close(),
    );
    const { resumed } = await client.resumeMany({ queue: "bulk-retries", status: "ERROR" });
    expect([...resumed].sort()).toEqual(["q1", "q2"]);
    await expect(client.retrieve("q1").result()).resolves.toBe("up");
    await expect(client.retrieve("q2").result()).resolves.toBe("up");
    expect(await engine.listWorkflows({ queue: "bulk-retries", status: "SUCCESS" })).toHaveLength(
      2,
    );
  });

  it.skipIf(backend.skip)(
    "cancels at a parent's deadline the child that inherited it, not the detached one",
    async () => {
      db = backend.database();
      const clock = createVirtualClock();
      const engine = await launch({ clock });
      const parent = await engine.start(family, undefined, { id: "p", timeoutMs: 3_600_000 });
      await expect
        .poll(async () => (await engine.listWorkflows({ parentWorkflowId: "p" })).length)
        .toBe(2);
      await clock.advance("1h");
      await expect(parent.result()).rejects.toBeInstanceOf(WorkflowCancelledError);
      await expect(engine.retrieve("p-inherits").result()).rejects.toBeInstanceOf(
        WorkflowCancelledError,
      );
      const [detached] = await engine.listWorkflows({ attributes: { role: "detached" } });
      expect(detached).toMatchObject({
        workflowId: "p-detached",
        status: "PENDING",
        parentWorkflowId: "p",
        deadlineAt: undefined,
      });
      await engine.send("p-detached", "go", "carried on");
      await expect(engine.retrieve("p-detached").result()).resolves.toBe("carried on");
    },
  );

  it.skipIf(backend.skip)(
    "gives workflows started without a timeout the engine's workflowTimeoutMs",
    async () => {
      db = backend.database();
      const engine = await launch({ workflowTimeoutMs: "1h" });
      const before = Date.now();
      const handle = await engine.start(family, undefined, { id: "f" });
      await expect
        .poll(async () => (await engine.listWorkflows({ attributes: { family: "f" } })).length)
        .toBe(1);
      const deadline = (await handle.status()).deadlineAt?.getTime() ?? Number.NaN;
      expect(deadline).toBeGreaterThanOrEqual(before + 3_600_000);
      const inherits = await engine.retrieve("f-inherits").status();
      expect(inherits.deadlineAt?.getTime()).toBe(deadline);
      const detached = await engine.retrieve("f-detached").status();
      expect(detached.deadlineAt?.getTime()).toBeGreaterThanOrEqual(before + 3_600_000);
      expect((await engine.cancelMany({ attributes: { family: "f" } })).cancelled).toEqual([
        "f-detached",
      ]);
    },
  );

  it.skipIf(backend.skip)(
    "gives what its queues enqueue without a timeout workflowTimeoutMs, from the claim",
    async () => {
      db = backend.database();
      const store = db.store() as PgStore;
      const runtime = createQueues({
        store: createPgQueueStore(store),
        serve: [retries],
        shutdownGraceMs: 0,
      });
      const engine = await launch({ store, plugins: [runtime], workflowTimeoutMs: "1h" });
      const plain = await retries.enqueue(engine, waiter, undefined, { id: "plain" });
      const [many] = await retries.enqueueMany(engine, waiter, [{ input: undefined, id: "many" }]);
      for (const handle of [plain, many]) {
        await expect.poll(async () => (await handle?.status())?.startedAt).toBeDefined();
        const { deadlineAt, startedAt } = (await handle?.status()) ?? {};
        expect((deadlineAt?.getTime() ?? 0) - (startedAt?.getTime() ?? 0)).toBe(3_600_000);
      }
    },
  );
});
