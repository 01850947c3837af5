/**
 * What the transaction tests share: SQL that runs over either driver's transaction object (a
 * postgres.js `TransactionSql` is a function; PGlite's `Transaction` has `query`), the business
 * table they write, and a gate a body can wait on until the test opens it.
 */
import type { PGliteTransaction, PostgresTransaction } from "../../src/index.js";

/** Runs one statement over the driver's transaction object; returns its rows. */
export async function run<R = Record<string, unknown>>(
  tx: unknown,
  text: string,
  params: unknown[] = [],
): Promise<R[]> {
  if (typeof tx === "function") {
    return (await (tx as PostgresTransaction).unsafe(text, params as never[])) as unknown as R[];
  }
  return (await (tx as PGliteTransaction).query<R>(text, params)).rows;
}

/** The business tables of a test schema (`{{schema}}` is substituted by the test database). */
export const TICKETS_DDL = [
  "create table {{schema}}.tickets (id text primary key, held_by text)",
  "create table {{schema}}.effects (id serial primary key, workflow_id text, what text)",
  "insert into {{schema}}.tickets (id) values ('A1'), ('A2'), ('B1')",
];

/** A promise a body waits on until the test opens it, and one the body opens when it got there. */
export function gate(): { wait: Promise<void>; open: () => void } {
  let open!: () => void;
  const wait = new Promise<void>((resolve) => (open = resolve));
  return { wait, open };
}
