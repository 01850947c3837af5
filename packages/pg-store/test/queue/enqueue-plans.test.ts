/**
 * An enqueue reads the queue items it needs: the holder of its dedup key, through the dedup
 * index, and nothing when it has no key. Joined to the items instead, the holders were found by
 * a hash join over a sequential scan of `queue_items` that every enqueue ran, keyed or not: on
 * the bench, after a drain, ~100-150 pages of swept and waiting items, about a third of a lone
 * enqueue's execution. Both plans (custom, and the generic one a prepared statement settles on)
 * are checked, on tables not analyzed (a fresh deployment, the benches' schemas).
 */
import type postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { queueItemStatements } from "../../src/queries/queue-items.js";
import { schemaNames } from "../../src/schema-names.js";
import { createPgStore } from "../../src/index.js";
import { adminSql, databaseUrl, uniqueSchema } from "../support/databases.js";
import { explainPrepared, nodesOn, type PlanNode } from "../support/query-plans.js";

/** The scans of `queue_items` the plan ran (its insert is not a scan). */
const scansRun = (plan: PlanNode) =>
  nodesOn(plan, "queue_items").filter(
    (node) => node["Node Type"].endsWith("Scan") && (node["Actual Loops"] ?? 0) > 0,
  );

const item = (id: string, dedup?: string) =>
  `'${JSON.stringify([
    {
      id,
      name: "job",
      input: "[]",
      executor: "cairn:queue",
      queue: "jobs",
      partition: "",
      priority: 0,
      dedup,
    },
  ])}', false`;

describe.skipIf(!databaseUrl)("the enqueue's plans on tables not analyzed", () => {
  const schema = uniqueSchema();
  let sql: postgres.Sql;
  beforeAll(async () => {
    sql = adminSql();
    const store = createPgStore({ url: databaseUrl, schema, max: 1 });
    await store.migrate();
    await store.close();
    // 2,000 items of another queue waiting, 2,000 more swept (dead rows until a vacuum), and one
    // item of "jobs" holding the dedup key "k".
    await sql.unsafe(`
      insert into "${schema}".queue_items
        (workflow_id, queue_name, dedup_id, available_at, enqueued_at)
      select 'o' || i, 'other', case when i % 2 = 0 then 'd' || i end, 0, 0
      from generate_series(1, 4000) i`);
    await sql.unsafe(`delete from "${schema}".queue_items where workflow_id in (
      select 'o' || i from generate_series(1, 2000) i)`);
    await sql.unsafe(`
      insert into "${schema}".workflows
        (workflow_id, name, status, input, executor_id, queue_name, created_at, updated_at)
      values ('held', 'job', 'ENQUEUED', '[]', 'cairn:queue', 'jobs', 0, 0)`);
    await sql.unsafe(`
      insert into "${schema}".queue_items
        (workflow_id, queue_name, dedup_id, available_at, enqueued_at)
      values ('held', 'jobs', 'k', 0, 0)`);
  });
  afterAll(async () => {
    await sql.unsafe(`drop schema if exists "${schema}" cascade`);
    await sql.end();
  });

  for (const mode of ["force_custom_plan", "force_generic_plan"] as const) {
    it(`reads no queue item for an item without a dedup key (${mode})`, async () => {
      const { enqueue } = queueItemStatements(schemaNames(schema));
      const plan = await explainPrepared(sql, enqueue, item("w1"), mode);
      expect(scansRun(plan)).toEqual([]);
    });

    it(`finds the holder of a dedup key through the dedup index (${mode})`, async () => {
      const { enqueue } = queueItemStatements(schemaNames(schema));
      const plan = await explainPrepared(sql, enqueue, item("w2", "k"), mode);
      const scans = scansRun(plan);
      expect(scans.map((node) => node["Node Type"])).not.toContain("Seq Scan");
      expect(scans.reduce((sum, node) => sum + (node["Actual Rows"] ?? 0), 0)).toBe(1);
    });
  }
});
