/**
 * What an update of a workflow writes besides the row (migration 0022). Postgres locks each row
 * an UPDATE changes before it runs the table's BEFORE UPDATE row triggers, whatever their
 * columns or WHEN clause: one such trigger on `workflows` made every claim, finish and
 * suspension write a row lock first.
 */
import type postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createPgStore } from "../src/index.js";
import { adminSql, databaseUrl, uniqueSchema } from "./support/databases.js";

/** pg_trigger.tgtype bits: ROW, BEFORE, UPDATE. */
const ROW = 1;
const BEFORE = 2;
const UPDATE = 16;

describe.skipIf(!databaseUrl)("row updates on Postgres", () => {
  const schema = uniqueSchema();
  let sql: postgres.Sql;
  beforeAll(async () => {
    sql = adminSql();
    const store = createPgStore({ url: databaseUrl, schema, max: 1 });
    await store.migrate();
    await store.close();
  });
  afterAll(async () => {
    await sql.unsafe(`drop schema if exists "${schema}" cascade`);
    await sql.end();
  });

  it("runs no BEFORE UPDATE row trigger on workflows, so no update locks its row first", async () => {
    const triggers = await sql<{ tgname: string }[]>`
      select tgname from pg_trigger
      where tgrelid = ${`"${schema}".workflows`}::regclass and not tgisinternal
        and tgtype & ${ROW + BEFORE + UPDATE} = ${ROW + BEFORE + UPDATE}`;
    expect(triggers.map((t) => t.tgname)).toEqual([]);
  });
});
