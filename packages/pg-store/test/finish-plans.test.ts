/**
 * A lone finish reads the row it finishes, whatever the planner knows of `workflows`. On a table
 * autovacuum has not analyzed yet (a burst of starts, the benches' fresh schemas), the plan
 * cache kept custom plans of the one-row finish that read every PENDING workflow of the executor
 * through the recovery index: each finish cost the executor's whole backlog. Both plans (custom,
 * and the generic one a prepared statement may settle on) are checked here. (The batch finish
 * is not: a form whose plans keep to the primary key both on a table not analyzed and in a
 * generic plan cached while the table was small is still to be found.)
 */
import type postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { oneRowStatements } from "../src/queries/workflow-one-row.js";
import { schemaNames } from "../src/schema-names.js";
import { createPgStore } from "../src/index.js";
import { adminSql, databaseUrl, uniqueSchema } from "./support/databases.js";
import { explainPrepared, rowsReadFrom } from "./support/query-plans.js";

const PENDING = 20_000;

describe.skipIf(!databaseUrl)("the finish statements' plans on a table not analyzed", () => {
  const schema = uniqueSchema();
  let sql: postgres.Sql;
  beforeAll(async () => {
    sql = adminSql();
    const store = createPgStore({ url: databaseUrl, schema, max: 1 });
    await store.migrate();
    await store.close();
    await sql.unsafe(`
      insert into "${schema}".workflows
        (workflow_id, name, status, input, executor_id, created_at, updated_at, started_at)
      select 'wf-' || lpad(i::text, 6, '0'), 'job', 'PENDING', '[1]', 'e1', i, i, i
      from generate_series(1, ${PENDING}) i`);
  });
  afterAll(async () => {
    await sql.unsafe(`drop schema if exists "${schema}" cascade`);
    await sql.end();
  });

  for (const mode of ["force_custom_plan", "force_generic_plan"] as const) {
    it(`finishes one workflow by primary key (${mode})`, async () => {
      const { finish } = oneRowStatements(schemaNames(schema));
      const args = `'wf-000007', 'e1', 'SUCCESS', '1', null, 'e1', 0`;
      const plan = await explainPrepared(sql, finish, args, mode);
      expect(rowsReadFrom(plan, "workflows")).toBeLessThanOrEqual(2);
    });
  }
});
