/**
 * The supported seam for code that builds on a `PgStore`'s database — the queue store of
 * `@cairn/pg-store/queue`, `transaction()`, the inspector: the store's driver, its schema names,
 * whether it is the only process on its database, and whether it was closed. Every store made by
 * `createPgStore` or `createPgliteStore` carries it as `store.connection` (a spread copy of the
 * store keeps it). It is what those modules share, not a second way to write workflows: writes
 * go through the store's methods.
 */
import type { SqlExecutor } from "./executors/sql-executor.js";
import type { SchemaNames } from "./schema-names.js";

/** A store's database, for modules that build on it. */
export interface PgConnection {
  readonly db: SqlExecutor;
  readonly names: SchemaNames;
  /** Only one process can open the database (PGlite): every other executor in it is gone. */
  readonly exclusive: boolean;
  isClosed(): boolean;
}

/** The connection of a store made by this package (or a spread copy); undefined for others. */
export function connectionOf(store: object): PgConnection | undefined {
  const connection = (store as { connection?: Partial<PgConnection> }).connection;
  const looksRight =
    typeof connection === "object" &&
    typeof connection.isClosed === "function" &&
    typeof connection.db === "object" &&
    typeof connection.names === "object";
  return looksRight ? (connection as PgConnection) : undefined;
}
