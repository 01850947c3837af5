/**
 * Recovery at launch claims what has no room a page at a time as room frees (`LaunchClaim`'s
 * `workflowIds`). A page claim must cost a page, not the executor's whole backlog: its workflows
 * are found by primary key. As one statement with "ids is null or id = any(ids)", the generic
 * plan read every PENDING workflow of the executor and searched the page's array for each, at
 * every page: with 50,000 waiting, one page claim ran for minutes.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type postgres from "postgres";
import { claimStatements, claimWorkflows } from "../src/queries/claims.js";
import { schemaNames } from "../src/schema-names.js";
import { createPgStore } from "../src/index.js";
import { adminSql, databaseUrl, uniqueSchema } from "./support/databases.js";
import { explainPrepared, rowsReadFrom } from "./support/query-plans.js";

const WAITING = 20_000;
const PAGE = 1_000;

describe.skipIf(!databaseUrl)("a recovered page's claim on Postgres", () => {
  const schema = uniqueSchema();
  let sql: postgres.Sql;
  beforeAll(async () => {
    sql = adminSql();
    const store = createPgStore({ url: databaseUrl, schema, max: 1 });
    await store.migrate();
    await store.close();
    await sql.unsafe(`
      insert into "${schema}".workflows
        (workflow_id, name, status, input, executor_id, created_at, updated_at, owner_epoch)
      select 'wf-' || lpad(i::text, 6, '0'), 'job', 'PENDING', '[1]', 'e1', i, i, 1
      from generate_series(1, ${WAITING}) i`);
    await sql.unsafe(`analyze "${schema}".workflows`); // as autovacuum leaves a deployment's
  });
  afterAll(async () => {
    await sql.unsafe(`drop schema if exists "${schema}" cascade`);
    await sql.end();
  });

  const page = (n: number) =>
    Array.from({ length: PAGE }, (_, i) => `wf-${String(n * PAGE + i + 1).padStart(6, "0")}`);

  it("reads the page's workflows by primary key, not the executor's whole backlog", async () => {
    const statements = claimStatements(schemaNames(schema));
    const ids = `{${page(0).join(",")}}`;
    // The plan a prepared statement settles on after five executions: one for any page.
    // (EXPLAIN ANALYZE claims the page: the helper rolls it back.)
    const args = `'e1', '{job}', '{}', '{}', null, '${ids}', true`;
    const plan = await explainPrepared(sql, statements.claimAmong, args, "force_generic_plan");
    // The page (1,000) and its updates; reading the backlog would be 20,000 or more.
    expect(rowsReadFrom(plan, "workflows")).toBeLessThan(4 * PAGE);
  });

  it("claims exactly the page, counting each one's recovery attempt", async () => {
    const statements = claimStatements(schemaNames(schema));
    const db = {
      query: (text: string, params: unknown[]) =>
        sql.unsafe(text, params as postgres.ParameterOrJSON<never>[], { prepare: true }),
    };
    for (let n = 1; n <= 6; n++) {
      const claimed = await claimWorkflows(db as never, statements, {
        executorId: "e1",
        names: ["job"],
        maxRecoveryAttempts: {},
        workflowIds: page(n),
        countAttempts: true,
      });
      expect(claimed.map((r) => r.workflowId).sort()).toEqual(page(n));
      expect(new Set(claimed.map((r) => r.recoveryAttempts))).toEqual(new Set([1]));
    }
    const [counted] = await sql.unsafe<{ n: number }[]>(
      `select count(*)::int as n from "${schema}".workflows where recovery_attempts = 1`,
    );
    expect(counted?.n).toBe(6 * PAGE);
  });
});
