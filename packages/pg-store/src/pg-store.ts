/**
 * The entry point for Postgres through postgres.js: many processes, one database. It builds or
 * borrows the client and hands it to the shared SQL store. Nothing connects until the first call.
 */
import postgres from "postgres";
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
   * it open. It must not transform column names (no `transform: postgres.camel`).
   */
  readonly sql?: postgres.Sql | undefined;
  /** Schema holding Cairn's tables; created by `migrate()`. Default `"cairn"`. */
  readonly schema?: string | undefined;
  /** Most connections in the pool the store opens (ignored with `sql`). Default 10. */
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
  const owned = !options.sql;
  const sql = options.sql ?? openClient(options.url ?? process.env["DATABASE_URL"], options.max);
  return createSqlStore({
    db: postgresExecutor(sql, owned),
    names,
    retryAlone: (error) => !isConnectionError(error),
    exclusive: false,
  });
}

function openClient(url: string | undefined, max: number | undefined): postgres.Sql {
  const settings: postgres.Options<Record<string, postgres.PostgresType>> = {
    max: max ?? 10,
    onnotice: () => {}, // migrations are written to raise none; never print to the app's stdout
    connection: { application_name: "cairn" },
  };
  return url === undefined ? postgres(settings) : postgres(url, settings);
}
