/**
 * The entry point for Postgres through postgres.js: many processes, one database. It builds or
 * borrows the client and hands it to the shared SQL store; a store that builds its client also
 * builds a one-connection client for heartbeats. Nothing connects until the first call.
 */
import postgres from "postgres";
import { cairnClientOptions, type storeArrayTypes } from "./executors/array-types.js";
import { closableSockets, type ClosableSockets } from "./executors/closable-sockets.js";
import { postgresExecutor, isConnectionError } from "./executors/postgres-executor.js";
import { schemaNames } from "./schema-names.js";
import { createSqlStore, type PgStore } from "./sql-store.js";

/** Options of {@link createPgStore}. */
export interface PgStoreOptions {
  /**
   * Connection URL, e.g. `postgres://user:pass@host:5432/db`. Defaults to `DATABASE_URL`, then to
   * postgres.js's own defaults (the `PG*` environment variables, localhost).
   */
  readonly url?: string | undefined;
  /**
   * Bring your own postgres.js client instead of `url`. The store never ends it: `close()` leaves
   * it open. Close the store (or shut the engine down) before `sql.end()`: until then a queue's
   * claim may hold a connection to the end of the event loop's turn, and postgres.js's `end()`
   * would wait for it for ever. It must not transform column names (no `transform: postgres.camel`). Its `backoff`
   * decides how soon notifications return after an outage: postgres.js's default grows to 20 s
   * between attempts, the store's own client waits at most 1 s (see docs/postgres.md).
   */
  readonly sql?: postgres.Sql | undefined;
  /** Schema holding Cairn's tables; created by `migrate()`. Default `"cairn"`. */
  readonly schema?: string | undefined;
  /**
   * Most connections in the pool the store opens (ignored with `sql`). Default 10. An engine's
   * heartbeats use one more, of their own, so a busy pool never delays them (docs/multi-process.md).
   */
  readonly max?: number | undefined;
}

/**
 * Creates a workflow store on a Postgres server. Call `migrate()` once at launch (safe from many
 * processes at once), and `close()` on shutdown.
 *
 * @example
 * const store = createPgStore({ url: process.env.DATABASE_URL, schema: "cairn" });
 * await store.migrate();
 */
export function createPgStore(options: PgStoreOptions = {}): PgStore {
  const names = schemaNames(options.schema ?? "cairn");
  if (options.sql && options.url !== undefined) {
    throw new TypeError("createPgStore: pass either `url` or `sql`, not both");
  }
  const sockets = closableSockets();
  const url = options.url ?? process.env["DATABASE_URL"];
  const sql = options.sql ?? openClient(url, options.max, sockets);
  // Heartbeats on a connection of their own, never queued behind workflow statements in a
  // saturated pool (postgres.js connects on first use: only engines, which heartbeat, open it).
  const lease = options.sql ? undefined : openClient(url, 1, sockets);
  return createSqlStore({
    db: postgresExecutor(sql, !options.sql, () => sockets.close()),
    ...(lease ? { leaseDb: postgresExecutor(lease, true) } : {}),
    names,
    retryAlone: (error) => !isConnectionError(error),
    exclusive: false,
  });
}

/** Longest wait between two attempts to reconnect, in seconds (postgres.js counts seconds). */
export const RECONNECT_CAP_SECONDS = 1;

/**
 * Seconds before reconnect attempt `retries`: doubling from 50 ms, never more than a second.
 * postgres.js's own default grows to 20 s, so after a short outage the LISTEN connection (and
 * with it every notification) came back only 13-18 s after the database did.
 */
export function reconnectDelaySeconds(retries: number): number {
  return Math.min(0.05 * 2 ** Math.max(0, retries - 1), RECONNECT_CAP_SECONDS);
}

function openClient(
  url: string | undefined,
  max: number | undefined,
  sockets: ClosableSockets,
): postgres.Sql {
  // `socket` is a documented postgres.js option that its type definitions leave out.
  const settings: postgres.Options<typeof storeArrayTypes> & {
    socket: ClosableSockets["socket"];
  } = {
    socket: sockets.socket, // so close() can stop a reconnect postgres.js would still make
    max: max ?? 10,
    onnotice: () => {}, // migrations are written to raise none; never print to the app's stdout
    connection: { application_name: "cairn" },
    backoff: reconnectDelaySeconds, // inherited by the LISTEN connection
    // No type query on each new connection: a connection lost during it became an unhandled
    // rejection that ended the process (see executors/array-types.ts).
    ...cairnClientOptions,
  };
  return url === undefined ? postgres(settings) : postgres(url, settings);
}
