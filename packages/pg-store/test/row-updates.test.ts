/**
 * What an update of a workflow or a queue item writes besides the row (migrations 0022, 0023).
 * Postgres locks each row an UPDATE changes before it runs the table's BEFORE UPDATE row
 * triggers, whatever their columns or WHEN clause: one such trigger on `workflows` made every
 * claim, finish and suspension write a row lock first. Queue items keep room in their pages, so
 * a claim's update of an item stays on the item's page.
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

  it("leaves half of each queue item page free for the item's update", async () => {
    const [table] = await sql<{ reloptions: string[] | null }[]>`
      select reloptions from pg_class where oid = ${`"${schema}".queue_items`}::regclass`;
    expect(table?.reloptions).toContain("fillfactor=50");
  });
});
