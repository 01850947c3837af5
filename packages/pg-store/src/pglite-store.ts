/**
 * The entry point for PGlite: Postgres compiled to WASM, running inside this process, so Cairn
 * works with zero setup. Data lives in `dataDir` (or in memory with `"memory://"`). It is for
 * development, tests and single-process tools: PGlite never fsyncs, runs one statement at a
 * time, and allows one process per data directory, which the store enforces with a lock file.
 */
import { resolve } from "node:path";
import { PGlite, type PGliteInterface } from "@electric-sql/pglite";
import { lockDataDir } from "./data-dir-lock.js";
import { openDataDir } from "./open-data-dir.js";
import { pgliteExecutor } from "./executors/pglite-executor.js";
import { schemaNames } from "./schema-names.js";
import { createSqlStore, type PgStore } from "./sql-store.js";

/** Options of {@link createPgliteStore}. */
export interface PgliteStoreOptions {
  /** Directory of the database files, created on first use. `"memory://"` keeps nothing. Default `"./.cairn"`. */
  readonly dataDir?: string | undefined;
  /** Schema holding Cairn's tables. Default `"cairn"`. */
  readonly schema?: string | undefined;
  /**
   * Bring your own open PGlite instead of `dataDir` (e.g. to put several schemas in one
   * instance). The store takes no lock and `close()` leaves it open.
   */
  readonly db?: PGliteInterface | undefined;
}

/**
 * Creates a workflow store on an embedded PGlite database. Throws `DataDirLockedError` at once
 * when another live process, or another store in this one, has `dataDir` open. The database
 * opens on the first call (usually `migrate()`); that takes about half a second for an existing
 * directory and several seconds for a new one. Only an absent or empty directory is initialized:
 * the first call fails with `DataDirDamagedError` for a non-empty directory without a database
 * or one whose control file or WAL is damaged.
 *
 * @example
 * const store = createPgliteStore({ dataDir: "./.cairn" });
 * await store.migrate();
 */
export function createPgliteStore(options: PgliteStoreOptions = {}): PgStore {
  const names = schemaNames(options.schema ?? "cairn");
  const given = options.db;
  if (given && options.dataDir !== undefined) {
    throw new TypeError("createPgliteStore: pass either `dataDir` or `db`, not both");
  }
  const db = given
    ? pgliteExecutor(
        () => Promise.resolve(given),
        false,
        () => {},
      )
    : openOwned(options.dataDir ?? "./.cairn");
  // One process per data directory (the lock file), so launch may take over at once.
  return createSqlStore({ db, names, retryAlone: () => true, exclusive: true });
}

function openOwned(dataDir: string) {
  if (dataDir.startsWith("memory://")) {
    return pgliteExecutor(
      () => PGlite.create({ dataDir }),
      true,
      () => {},
    );
  }
  const path = resolve(dataDir);
  const lock = lockDataDir(path);
  return pgliteExecutor(
    () => openDataDir(path),
    true,
    () => lock.release(),
  );
}
