/**
 * A queue with a backlog of items due later (delays, debounces): the claim takes the due items —
 * those available when enqueued and the delayed ones whose time has come — in priority, then
 * FIFO, order, says rightly whether claimable items are left (`more`), and reads none of the
 * items due later to do it (migration 0018: each waiting item is in the ready index or the
 * delayed one, and the claim reads both from their heads). Before 0018 the claim's `more` check
 * read every waiting item of the queue and its picking walked past each delayed item ahead of
 * the first due one: a claim's cost grew with the delayed backlog. On analyzed tables the plan
 * must also stay a claim's size: the claimed workflows found by primary key, and never JIT-compiled
 * (a generic plan whose estimated cost passes jit_above_cost is compiled at every execution).
 */
import type { NewQueueItem, QueueStore } from "@cairn/queue";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { PgStore } from "../../src/index.js";
import { queueClaimStatements, queueLockKey } from "../../src/queries/queue-claim.js";
import { createPgQueueStore } from "../../src/queue/index.js";
import { schemaNames } from "../../src/schema-names.js";
import { adminSql, databaseUrl } from "../support/databases.js";
import { Closers, engineBackends, type TestDatabase } from "../support/engine-databases.js";
import { nodesOn, rowsReadFrom, type PlanNode } from "../support/query-plans.js";

const HOUR_MS = 3_600_000;

const item = (id: string, options: Partial<NewQueueItem> = {}): NewQueueItem => ({
  workflow: {
    workflowId: id,
    name: "job",
    input: "[]",
    executorId: "cairn:queue",
    status: "ENQUEUED",
    queueName: "q",
  },
  queueName: "q",
  priority: 0,
  partitionKey: "",
  ...options,
});

const claim = (queueStore: QueueStore, max: number) =>
  queueStore.claim({
    queueName: "q",
    executorId: "e1",
    excludeNames: [],
    appVersion: undefined,
    limits: {},
    partitioned: false,
    max,
  });

const ids = (claimed: readonly { workflowId: string }[]) => claimed.map((w) => w.workflowId).sort();

describe.each(engineBackends)("claims beside items due later on $name", (backend) => {
  const closers = new Closers();
  let db: TestDatabase;

  beforeAll(() => backend.open());
  afterAll(() => backend.close());
  afterEach(async () => {
    await closers.closeAll();
    await db.drop();
  });

  it.skipIf(backend.skip)(
    "takes the due items, delayed ones included, in priority then FIFO order, and says when none are left",
    async () => {
      db = backend.database();
      const store = closers.add(db.store() as PgStore, (s) => s.close());
      await store.migrate();
      await store.heartbeat({ executorId: "e1", appVersion: undefined, leaseMs: 60_000 });
      const queueStore = createPgQueueStore(store);
      const later = Array.from({ length: 200 }, (_, i) => item(`later${i}`, { delayMs: HOUR_MS }));
      await queueStore.enqueueMany([
        ...later.slice(0, 100),
        item("d1", { delayMs: HOUR_MS }),
        item("r1"),
        item("r2"),
        item("d2", { delayMs: HOUR_MS, priority: -1 }),
        item("r3"),
        ...later.slice(100),
      ]);
      // d1 and d2 were delayed and their time has come, as if an hour had passed for them.
      await db.query(`
        update {{schema}}.queue_items
        set enqueued_at = enqueued_at - 2 * ${HOUR_MS}, available_at = enqueued_at - ${HOUR_MS}
        where workflow_id in ('d1', 'd2')`);

      const first = await claim(queueStore, 2);
      expect(ids(first.claimed)).toEqual(["d1", "d2"]); // d2 by priority, d1 first enqueued
      expect(first.more).toBe(true);
      const second = await claim(queueStore, 2);
      expect(ids(second.claimed)).toEqual(["r1", "r2"]);
      expect(second.more).toBe(true);
      const third = await claim(queueStore, 2);
      expect(ids(third.claimed)).toEqual(["r3"]);
      expect(third.more).toBe(false);
      expect(third.retryInMs).toBeGreaterThan(0);
      expect(third.retryInMs).toBeLessThanOrEqual(HOUR_MS);
      expect((await claim(queueStore, 2)).claimed).toEqual([]);
    },
  );
});

describe.skipIf(!databaseUrl)("the claim's plan beside items due later on Postgres", () => {
  const closers = new Closers();
  let db: TestDatabase;
  const backend = engineBackends[0];

  beforeAll(() => backend?.open());
  afterAll(() => backend?.close());
  afterEach(async () => {
    await closers.closeAll();
    await db.drop();
  });

  it("reads none of the 5,000 items due later to claim 50 of 60 due ones, and compiles nothing", async () => {
    if (!backend) throw new Error("no Postgres backend");
    db = backend.database();
    const store = closers.add(db.store() as PgStore, (s) => s.close());
    await store.migrate();
    // 5,000 delayed items enqueued first (ahead in FIFO order), then 60 due ones.
    await db.query(`
      insert into {{schema}}.workflows
        (workflow_id, name, status, input, executor_id, queue_name, created_at, updated_at)
      select 'w' || i, 'job', 'ENQUEUED', '[]', 'cairn:queue', 'q', 0, 0
      from generate_series(1, 5060) i`);
    await db.query(`
      insert into {{schema}}.queue_items (workflow_id, queue_name, available_at, enqueued_at)
      select 'w' || i, 'q', now_ms + case when i <= 5000 then ${HOUR_MS} else 0 end, now_ms
      from generate_series(1, 5060) i,
           (select floor(extract(epoch from now()) * 1000)::bigint as now_ms) t
      order by i`);
    await db.query("analyze {{schema}}.queue_items");
    await db.query("analyze {{schema}}.workflows");

    const sql = adminSql();
    try {
      const statements = queueClaimStatements(schemaNames(db.schema));
      const explained = await sql.begin(async (tx) => {
        // Compiling costs ~400 ms per claim: make this server compile any plan, then the
        // claim's own first statement must turn it off.
        await tx.unsafe("set local jit_above_cost = 0");
        await tx.unsafe(statements.lock, [queueLockKey(db.schema, "q")]);
        const params = ["q", "e1", [], null, null, null, null, null, 50, false, null];
        const [row] = await tx.unsafe(
          `explain (analyze, format json) ${statements.claim}`,
          [...params, [], [], [], [], [], [], [], [], []],
          { prepare: true },
        );
        return (row?.["QUERY PLAN"] as [{ Plan: PlanNode; JIT?: unknown }])[0];
      });
      expect(explained.JIT).toBeUndefined();
      const plan = explained.Plan;
      const reads = nodesOn(plan, "queue_items");
      expect(reads.map((n) => n["Node Type"])).not.toContain("Seq Scan");
      // The 50 claimed workflows are updated by primary key, not found by reading all of them.
      expect(nodesOn(plan, "workflows").map((n) => n["Node Type"])).not.toContain("Seq Scan");
      const rowsRead = rowsReadFrom(plan, "queue_items");
      // 50 picked, 51 counted for `more`, 50 updated, a few index probes: far below 5,000.
      expect(rowsRead).toBeLessThan(500);
    } finally {
      await sql.end();
    }
  });
});
