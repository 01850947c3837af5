/**
 * `ctx.enqueue` through real engines on Postgres and PGlite: a parent fans children out through
 * a limited queue and awaits them all, the queue's limits holding for them; cancelling the parent
 * cancels its waiting and running children; the children carry the parent and its deadline in
 * their rows; a bad call writes nothing. The kill -9 test is `child-enqueue-crash.test.ts`; the
 * same behaviours on the memory stores: `@cairn/queue`'s test/child-enqueue.test.ts.
 */
import { InvalidOptionError, step, workflow } from "@cairn/core";
import { defineQueue } from "@cairn/queue";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { Closers, engineBackends, type TestDatabase } from "../support/engine-databases.js";
import { Gate, eventually, launchQueueEngine } from "./support.js";

let ran: string[] = [];
let gates = new Map<string, Gate>();

const work = step("work", async (label: string) => {
  ran.push(label);
  await gates.get(label)?.pass();
  return label.toUpperCase();
});
const job = workflow({ name: "job" }, async (ctx, label: string) => work(ctx, label));

const limited = defineQueue("limited", { concurrency: 2 });
const idle = defineQueue("idle"); // served by no engine of these tests: children wait in it
const tenants = defineQueue("tenants", { partitioned: true });

const fanOut = workflow({ name: "fanOut" }, async (ctx, labels: string[]) => {
  const handles = await Promise.all(labels.map((label) => ctx.enqueue(limited, job, label)));
  return Promise.all(handles.map((handle) => handle.result()));
});
const waitsOnIdle = workflow({ name: "waitsOnIdle" }, async (ctx) => {
  await ctx.enqueue(idle, job, "inherits");
  await ctx.enqueue(idle, job, "own", { timeoutMs: 60_000 });
  return ctx.recv("never");
});
const badCall = workflow({ name: "badCall" }, async (ctx) =>
  ctx.enqueue(tenants, job, "no partition").then(
    () => "enqueued",
    (error: unknown) => (InvalidOptionError.is(error) ? error.option : "other"),
  ),
);
const workflows = [job, fanOut, waitsOnIdle, badCall];

describe.each(engineBackends)("ctx.enqueue on $name", (backend) => {
  const closers = new Closers();
  let db: TestDatabase;

  beforeAll(() => backend.open());
  afterAll(() => backend.close());
  afterEach(async () => {
    for (const gate of gates.values()) gate.release();
    await closers.closeAll();
    await db.drop();
    ran = [];
    gates = new Map();
  });

  const launch = async (options: Parameters<typeof launchQueueEngine>[1]) => {
    const launched = await launchQueueEngine(db, options);
    closers.add(launched.engine, (e) => e.shutdown());
    return launched;
  };

  it.skipIf(backend.skip)(
    "fans children out through the queue within its limits and awaits every result",
    async () => {
      db = backend.database();
      const labels = ["a", "b", "c", "d", "e"];
      for (const label of labels) gates.set(label, new Gate());
      const { engine } = await launch({ workflows, serve: [limited] });
      const parent = await engine.start(fanOut, labels, { id: "fan" });
      // concurrency 2: the others wait in the queue while two run.
      await eventually(
        async () => {
          const counts = await limited.counts(engine);
          return counts.PENDING === 2 && counts.ENQUEUED === 3;
        },
        20_000,
        "two children running, three waiting",
      );
      expect(ran).toHaveLength(2);
      for (const gate of gates.values()) gate.release();
      await expect(parent.result()).resolves.toEqual(["A", "B", "C", "D", "E"]);
      const children = await engine.listWorkflows({ parentWorkflowId: "fan" });
      expect(children.map((c) => c.workflowId).sort()).toEqual(labels.map((_, i) => `fan:${i}`));
      expect(new Set(children.map((c) => c.queueName))).toEqual(new Set(["limited"]));
      const steps = await engine.listSteps("fan");
      expect(steps.map((s) => s.childWorkflowId)).toEqual(labels.map((_, i) => `fan:${i}`));
    },
  );

  it.skipIf(backend.skip)("cancels the parent's waiting and running children with it", async () => {
    db = backend.database();
    gates.set("a", new Gate());
    gates.set("b", new Gate());
    const { engine } = await launch({ workflows, serve: [limited] });
    await engine.start(fanOut, ["a", "b", "c"], { id: "p" });
    await eventually(() => ran.length === 2, 20_000, "two children running");
    await eventually(
      async () => (await limited.counts(engine)).ENQUEUED === 1,
      20_000,
      "the third child waiting",
    );
    await engine.cancel("p");
    for (const id of ["p", "p:0", "p:1", "p:2"]) {
      expect((await engine.retrieve(id).status()).status).toBe("CANCELLED");
    }
    expect(await db.query("select * from {{schema}}.queue_items where started_at is null")).toEqual(
      [],
    );
  });

  it.skipIf(backend.skip)(
    "gives the children the parent's deadline unless they have a timeout of their own",
    async () => {
      db = backend.database();
      const { engine } = await launch({ workflows });
      await engine.start(waitsOnIdle, undefined, { id: "t", timeoutMs: 3_600_000 });
      await eventually(
        async () => (await idle.counts(engine)).ENQUEUED === 2,
        20_000,
        "two children enqueued",
      );
      const rows = await db.query<{
        workflow_id: string;
        parent_workflow_id: string;
        deadline_at: string | null;
      }>(
        "select workflow_id, parent_workflow_id, deadline_at from {{schema}}.workflows order by workflow_id",
      );
      const parentDeadline = rows.find((r) => r.workflow_id === "t")?.deadline_at;
      expect(parentDeadline).not.toBeNull();
      expect(rows.filter((r) => r.workflow_id !== "t")).toEqual([
        { workflow_id: "t:0", parent_workflow_id: "t", deadline_at: parentDeadline },
        { workflow_id: "t:1", parent_workflow_id: "t", deadline_at: null },
      ]);
    },
  );

  it.skipIf(backend.skip)(
    "refuses a bad option with a typed error and writes nothing",
    async () => {
      db = backend.database();
      const { engine } = await launch({ workflows });
      await expect(engine.run(badCall, undefined, { id: "bad" })).resolves.toBe("partitionKey");
      expect(await db.query("select workflow_id from {{schema}}.workflows")).toEqual([
        { workflow_id: "bad" },
      ]);
      expect(await db.query("select * from {{schema}}.queue_items")).toEqual([]);
      expect(await engine.listSteps("bad")).toEqual([]);
    },
  );
});
