/**
 * The application's own tables, in the same database as Cairn's store: `tickets` (who holds each
 * seat) and `ticket_log` (one row per reservation or release, to count them). The checkout's
 * transactions write them; this module creates them, seeds them and reads them back, over either
 * driver (a postgres.js client or a PGlite instance), and runs a statement on either driver's
 * transaction object.
 */
import type { PGlite } from "@electric-sql/pglite";
import type { DriverTransaction } from "@cairn/pg-store";
import type postgres from "postgres";

/** The application's database handle. */
export type AppDatabase = postgres.Sql | PGlite;

/** Runs one statement on a connection or a transaction of either driver; returns its rows. */
export async function query<R>(
  db: AppDatabase | DriverTransaction,
  text: string,
  params: unknown[] = [],
): Promise<R[]> {
  if (typeof db === "function") return (await db.unsafe(text, params as never[])) as unknown as R[];
  return (await db.query<R>(text, params)).rows;
}

/** Creates the tables if needed and puts `ticketIds` on sale. */
export async function setUpTickets(db: AppDatabase, ticketIds: readonly string[]): Promise<void> {
  await query(db, "create table if not exists tickets (id text primary key, held_by text)");
  await query(
    db,
    `create table if not exists ticket_log (
       id serial primary key, ticket_id text not null, action text not null, workflow_id text not null)`,
  );
  for (const id of ticketIds) {
    await query(db, "insert into tickets (id) values ($1) on conflict do nothing", [id]);
  }
}

/** Who holds `ticketId` (null: on sale), and every reservation and release of it, in order. */
export async function ticketHistory(
  db: AppDatabase,
  ticketId: string,
): Promise<{ heldBy: string | null; log: string[] }> {
  const [ticket] = await query<{ held_by: string | null }>(
    db,
    "select held_by from tickets where id = $1",
    [ticketId],
  );
  const log = await query<{ action: string }>(
    db,
    "select action from ticket_log where ticket_id = $1 order by id",
    [ticketId],
  );
  return { heldBy: ticket?.held_by ?? null, log: log.map((r) => r.action) };
}
