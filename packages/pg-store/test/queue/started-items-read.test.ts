/**
 * The claim reads a queue's started items (what runs, what finished and waits for the sweep) at
 * every claim. Those of finished workflows are deleted by the sweep, and their entries stay in
 * the started-items index until a vacuum. Read by a bitmap scan (the plan Postgres chose on
 * tables not analyzed yet), every claim read all of those entries again: a drain of 5,000 items
 * read ~2,500 per claim on average, 20,000 about 10,000 (~30% of a claim's time). Walked as an
 * index scan, a claim marks them dead as it passes them and later claims skip them.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { PgStore } from "../../src/index.js";
import { queueClaimStatements, queueLockKey } from "../../src/queries/queue-claim.js";
import { createPgQueueStore } from "../../src/queue/index.js";
import { schemaNames } from "../../src/schema-names.js";
import { adminSql, databaseUrl } from "../support/databases.js";
import { Closers, engineBackends, type TestDatabase } from "../support/engine-databases.js";
import { type PlanNode } from "../support/query-plans.js";

const HOUR_MS = 3_600_000;

type IndexNode = PlanNode & { "Index Name"?: string };

/** Entries the plan took from `index` (a bitmap index scan: every one it found), all loops. */
function entriesReadFrom(node: IndexNode, index: string): number {
  const own =
    node["Index Name"] === index ? (node["Actual Rows"] ?? 0) * (node["Actual Loops"] ?? 1) : 0;
  return (node.Plans ?? []).reduce((sum, child) => sum + entriesReadFrom(child, index), own);
}

describe.skipIf(!databaseUrl)("the claim's read of started items on Postgres", () => {
  const closers = new Closers();
  let db: TestDatabase;
  const backend = engineBackends[0];

  beforeAll(() => backend?.open());
  afterAll(() => backend?.close());
  afterEach(async () => {
    await closers.closeAll();
    await db.drop();
  });

  it("reads the started items it needs, not the index entries 2,000 swept items left", async () => {
    if (!backend) throw new Error("no Postgres backend");
    db = backend.database();
    const store = closers.add(db.store() as PgStore, (s) => s.close());
    await store.migrate();
    await store.heartbeat({ executorId: "e1", appVersion: undefined, leaseMs: 60_000 });
    // 2,000 workflows started an hour ago and finished (their items wait for the sweep), then
    // 100 waiting ones. The tables are not analyzed, as on a fresh deployment or the benches.
    await db.query(`
      insert into {{schema}}.workflows
        (workflow_id, name, status, input, executor_id, queue_name, created_at, updated_at)
      select 'w' || i, 'job', case when i <= 2000 then 'SUCCESS' else 'ENQUEUED' end, '[]',
             case when i <= 2000 then 'e1' else 'cairn:queue' end, 'q', 0, 0
      from generate_series(1, 2100) i`);
    await db.query(`
      insert into {{schema}}.queue_items
        (workflow_id, queue_name, available_at, enqueued_at, started_at, claimed_by)
      select 'w' || i, 'q', now_ms - ${HOUR_MS}, now_ms - ${HOUR_MS},
             case when i <= 2000 then now_ms - ${HOUR_MS} end, case when i <= 2000 then 'e1' end
      from generate_series(1, 2100) i,
           (select floor(extract(epoch from now()) * 1000)::bigint as now_ms) t
      order by i`);

    const queueStore = createPgQueueStore(store);
    const claimOf = (max: number) =>
      queueStore.claim({
        queueName: "q",
        executorId: "e1",
        excludeNames: [],
        appVersion: undefined,
        limits: {},
        partitioned: false,
        max,
      });
    expect((await claimOf(10)).claimed).toHaveLength(10); // sweeps the 2,000 finished items
    expect(
      await db.query<{ n: number }>(`select count(*)::int as n from {{schema}}.queue_items`),
    ).toEqual([{ n: 100 }]);
    expect((await claimOf(10)).claimed).toHaveLength(10);

    const sql = adminSql();
    try {
      const statements = queueClaimStatements(schemaNames(db.schema));
      const plan = await sql.begin(async (tx) => {
        await tx.unsafe(statements.lock, [queueLockKey(db.schema, "q")]);
        const params = ["q", "e1", [], null, null, null, null, null, 10, false, null];
        const [row] = await tx.unsafe(
          `explain (analyze, format json) ${statements.claim}`,
          [...params, [], [], [], [], [], [], [], [], []],
          { prepare: true },
        );
        return (row?.["QUERY PLAN"] as [{ Plan: PlanNode }])[0].Plan;
      });
      // The 20 started items; the 2,000 swept ones' entries read again would be over 2,000.
      expect(entriesReadFrom(plan, "queue_items_started_idx")).toBeLessThan(100);
    } finally {
      await sql.end();
    }
  });
});
