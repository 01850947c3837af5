/**
 * Bulk and grouped enqueues on Postgres and PGlite: `queue.enqueueMany` writes every item in
 * order or none (bad items named by index before anything is written, a taken ID of another
 * name, more than one statement's worth in one transaction, the caller's transaction), gives
 * each item the outcome enqueueing them one by one would (existing IDs, dedup holders, repeats
 * inside the call); and single enqueues from many concurrent callers, which share statements,
 * each get their own outcome.
 */
import { InvalidOptionError, ValidationError, workflow, WorkflowConflictError } from "@cairn/core";
import { defineQueue, EnqueueItemsInvalidError } from "@cairn/queue";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { Closers, engineBackends, type TestDatabase } from "../support/engine-databases.js";
import { launchQueueEngine } from "./support.js";

/** Labels in the order their workflow bodies started. */
let ran: string[] = [];
const job = workflow({ name: "bulk.job", input: z.string() }, async (_ctx, label: string) => {
  ran.push(label);
  return label.toUpperCase();
});
const other = workflow({ name: "bulk.other" }, async (_ctx, label: string) => label);

/** Served one at a time, so the order of runs is the order of claims. */
const inOrder = defineQueue("bulk-in-order", { concurrency: 1 });
/** Nobody serves it: what is written stays there to be counted. */
const parked = defineQueue("bulk-parked");
const tenants = defineQueue("bulk-tenants", { partitioned: true });

class Abort extends Error {}

describe.each(engineBackends)("enqueueMany and grouped enqueues on $name", (backend) => {
  const closers = new Closers();
  let db: TestDatabase;

  beforeAll(() => backend.open());
  afterAll(() => backend.close());
  afterEach(async () => {
    await closers.closeAll();
    await db.drop();
    ran = [];
  });

  const launch = async (serve: Parameters<typeof launchQueueEngine>[1]["serve"] = []) => {
    db = backend.database();
    const launched = await launchQueueEngine(db, { workflows: [job, other], serve });
    closers.add(launched.engine, (e) => e.shutdown());
    return launched;
  };
  const waiting = async (queueName: string) => {
    const rows = await db.query<{ n: number }>(
      `select count(*)::int as n from {{schema}}.workflows where queue_name = '${queueName}'`,
    );
    return rows[0]?.n;
  };

  /**
   * Inserts workflow `id` (of `name`, PENDING, not queued) uncommitted on a connection of its
   * own. `commitOnceBlocked` waits until another statement waits for that row's lock (seen in
   * pg_blocking_pids), then commits it: after that statement's snapshot, so it cannot have seen
   * the row.
   */
  const holdWorkflowRow = async (id: string, name: string) => {
    let release: () => void = () => undefined;
    const held = new Promise<void>((resolve) => (release = resolve));
    let inserted: (pid: number) => void = () => undefined;
    const blockerPid = new Promise<number>((resolve) => (inserted = resolve));
    const blocker = db.transaction(async (tx, schema) => {
      const sql = tx as { unsafe: (text: string) => Promise<Record<string, unknown>[]> };
      const [me] = await sql.unsafe("select pg_backend_pid() as pid");
      await sql.unsafe(
        `insert into "${schema}".workflows (workflow_id, name, status, input, executor_id,
         created_at, updated_at) values ('${id}', '${name}', 'PENDING', '1', 'e', 0, 0)`,
      );
      inserted(me?.["pid"] as number);
      await held;
    });
    const pid = await blockerPid;
    return {
      async commitOnceBlocked() {
        for (;;) {
          const [waits] = await db.query<{ n: number }>(
            `select count(*)::int as n from pg_stat_activity where ${pid} = any(pg_blocking_pids(pid))`,
          );
          if ((waits?.n ?? 0) > 0) break;
          await new Promise((resolve) => setTimeout(resolve, 10));
        }
        release();
        await blocker;
      },
    };
  };

  it.skipIf(backend.skip)("writes every item and runs them in the order given", async () => {
    const { engine } = await launch([inOrder]);
    const labels = ["e", "a", "d", "b", "c"];
    const handles = await inOrder.enqueueMany(
      engine,
      job,
      labels.map((input) => ({ input })),
    );
    expect(await Promise.all(handles.map((h) => h.result()))).toEqual(
      labels.map((l) => l.toUpperCase()),
    );
    expect(ran).toEqual(labels);
  });

  it.skipIf(backend.skip)("names every bad item by index and writes nothing", async () => {
    const { engine } = await launch();
    const error = await parked
      .enqueueMany(engine, job, [
        { input: "ok" },
        { input: 42 as never },
        { input: "ok too", priority: 1.5 },
        { input: "fine", id: "" },
      ])
      .catch((e: unknown) => e);
    expect(EnqueueItemsInvalidError.is(error)).toBe(true);
    const invalid = error as EnqueueItemsInvalidError;
    expect(invalid.index).toBe(1);
    expect(invalid.items.map((i) => i.index)).toEqual([1, 2, 3]);
    expect(invalid.items[0]?.error).toBeInstanceOf(ValidationError);
    expect(invalid.items[1]?.error).toBeInstanceOf(InvalidOptionError);
    expect(invalid.message).toContain("item 1");
    expect(await waiting(parked.name)).toBe(0);
  });

  it.skipIf(backend.skip)("checks partition keys per item", async () => {
    const { engine } = await launch();
    const error = await tenants
      .enqueueMany(engine, job, [{ input: "a", partitionKey: "t1" }, { input: "b" }])
      .catch((e: unknown) => e as EnqueueItemsInvalidError);
    expect(EnqueueItemsInvalidError.is(error) && error.index).toBe(1);
    const handles = await tenants.enqueueMany(engine, job, [
      { input: "a", partitionKey: "t1" },
      { input: "b", partitionKey: "t2" },
    ]);
    expect(handles).toHaveLength(2);
  });

  it.skipIf(backend.skip)(
    "gives an existing or repeated ID that workflow, as one-by-one enqueues would",
    async () => {
      const { engine } = await launch();
      const [first] = await parked.enqueueMany(engine, job, [{ input: "x", id: "taken" }]);
      const handles = await parked.enqueueMany(engine, job, [
        { input: "new", id: "fresh" },
        { input: "again", id: "taken" },
        { input: "twice", id: "fresh" },
      ]);
      expect(handles.map((h) => h.workflowId)).toEqual(["fresh", "taken", "fresh"]);
      expect(first?.workflowId).toBe("taken");
      expect(await waiting(parked.name)).toBe(2);
      const stored = await engine.retrieve("fresh").status();
      expect(stored.name).toBe("bulk.job");
    },
  );

  it.skipIf(backend.skip)(
    "gives an item whose dedupId a live workflow holds the holder, also an earlier item's",
    async () => {
      const { engine } = await launch();
      const holder = await parked.enqueue(engine, job, "held", { dedupId: "k1" });
      const handles = await parked.enqueueMany(engine, job, [
        { input: "dup of held", dedupId: "k1" },
        { input: "first k2", dedupId: "k2" },
        { input: "dup of first k2", dedupId: "k2" },
        { input: "no key" },
      ]);
      const ids = handles.map((h) => h.workflowId);
      expect(ids[0]).toBe(holder.workflowId);
      expect(ids[2]).toBe(ids[1]);
      expect(new Set(ids).size).toBe(3);
      expect(await waiting(parked.name)).toBe(3);
    },
  );

  it.skipIf(backend.skip)(
    "rejects the whole call when an ID belongs to a workflow of another name",
    async () => {
      const { engine } = await launch();
      await parked.enqueue(engine, other, "mine", { id: "other-name" });
      const items = Array.from({ length: 1500 }, (_, i) => ({ input: `n${i}` }));
      items[1200] = { input: "clash", id: "other-name" } as (typeof items)[number];
      await expect(parked.enqueueMany(engine, job, items)).rejects.toBeInstanceOf(
        WorkflowConflictError,
      );
      await expect(
        parked.enqueueMany(engine, job, [{ input: "a" }, { input: "b", id: "other-name" }]),
      ).rejects.toBeInstanceOf(WorkflowConflictError);
      expect(await waiting(parked.name)).toBe(1);
    },
  );

  // Postgres only: it takes a second connection holding a transaction open.
  if (backend.name === "Postgres")
    it.skipIf(backend.skip)(
      "names the ID a one-statement call conflicts on, even one committed after its snapshot, and writes nothing",
      async () => {
        const { engine } = await launch();
        // A workflow of another name, committed after the call's statement took its snapshot.
        const row = await holdWorkflowRow("late", "bulk.other");
        const items = Array.from({ length: 10 }, (_, i) => ({ input: `n${i}` }));
        items[6] = { input: "clash", id: "late" } as (typeof items)[number];
        const call = parked.enqueueMany(engine, job, items).catch((e: unknown) => e);
        await row.commitOnceBlocked();
        const error = await call;
        expect(WorkflowConflictError.is(error)).toBe(true);
        expect(error).toMatchObject({ workflowId: "late", existingName: "bulk.other" });
        expect(await waiting(parked.name)).toBe(0);
        const [items_] = await db.query<{ n: number }>(
          "select count(*)::int as n from {{schema}}.queue_items",
        );
        expect(items_?.n).toBe(0);
      },
    );

  // Postgres only: it takes a second connection holding a transaction open.
  if (backend.name === "Postgres")
    it.skipIf(backend.skip)(
      "leaves no queue item behind when a plain start of the same ID commits after the enqueue's snapshot",
      async () => {
        const { engine } = await launch();
        // A workflow of the same name, not queued (as `start` writes it), committed after the
        // enqueue's statement took its snapshot.
        const row = await holdWorkflowRow("raced", "bulk.job");
        const call = parked.enqueue(engine, job, "queued", { id: "raced" });
        await row.commitOnceBlocked();
        const handle = await call;
        expect(handle.workflowId).toBe("raced");
        await expect(handle.status()).resolves.toMatchObject({ status: "PENDING" });
        const [items] = await db.query<{ n: number }>(
          "select count(*)::int as n from {{schema}}.queue_items where workflow_id = 'raced'",
        );
        expect(items?.n).toBe(0); // an item here would point at a workflow no claim runs
        expect(await waiting(parked.name)).toBe(0);
      },
    );

  it.skipIf(backend.skip)("writes more than a statement's worth in one go", async () => {
    const { engine } = await launch();
    const handles = await parked.enqueueMany(
      engine,
      job,
      Array.from({ length: 2500 }, (_, i) => ({ input: `n${i}` })),
    );
    expect(new Set(handles.map((h) => h.workflowId)).size).toBe(2500);
    expect(await waiting(parked.name)).toBe(2500);
  });

  it.skipIf(backend.skip)(
    "inside the caller's transaction, exists only if it commits",
    async () => {
      const { engine } = await launch([inOrder]);
      await expect(
        db.transaction(async (tx) => {
          await inOrder.enqueueMany(engine, job, [{ input: "gone1" }, { input: "gone2" }], { tx });
          throw new Abort();
        }),
      ).rejects.toBeInstanceOf(Abort);
      expect(await waiting(inOrder.name)).toBe(0);
      const handles = await db.transaction((tx) =>
        inOrder.enqueueMany(engine, job, [{ input: "kept1" }, { input: "kept2" }], { tx }),
      );
      expect(await Promise.all(handles.map((h) => h.result()))).toEqual(["KEPT1", "KEPT2"]);
    },
  );

  it.skipIf(backend.skip)(
    "gives each of many concurrent single enqueues its own outcome",
    async () => {
      const { engine } = await launch();
      // A third share one dedup key; the rest repeat 40 IDs: batches hold both kinds of clash.
      const handles = await Promise.all(
        Array.from({ length: 120 }, (_, i) =>
          i % 3 === 0
            ? parked.enqueue(engine, job, `shared ${i}`, { dedupId: "one key" })
            : parked.enqueue(engine, job, `own ${i}`, { id: `own-${i % 40}` }),
        ),
      );
      const shared = handles.filter((_, i) => i % 3 === 0).map((h) => h.workflowId);
      expect(new Set(shared).size).toBe(1);
      handles.forEach((h, i) => {
        if (i % 3 !== 0) expect(h.workflowId).toBe(`own-${i % 40}`);
      });
      expect(await waiting(parked.name)).toBe(41);
    },
  );
});
