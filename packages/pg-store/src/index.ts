/**
 * `@cairn/pg-store`: Cairn's checkpoint store on Postgres (postgres.js) and on embedded PGlite.
 * This barrel is the package's whole public surface.
 */
export { createPgStore, type PgStoreOptions } from "./pg-store.js";
export { cairnClientOptions } from "./executors/array-types.js";
export { createPgliteStore, type PgliteStoreOptions } from "./pglite-store.js";
export type { PgStore } from "./sql-store.js";
export {
  transaction,
  type TransactionOptions,
  type TransactionContext,
  type TransactionStep,
  type IsolationLevel,
  type PostgresTransaction,
  type PGliteTransaction,
  type DriverTransaction,
} from "./transaction.js";
export { migrateCompletions, type MigrateCompletionsOptions } from "./completions.js";
export type { AppDatabase } from "./transactions/targets.js";
export {
  DataDirDamagedError,
  DataDirLockedError,
  DatabaseUnavailableError,
  SchemaNameInvalidError,
  StoreClosedError,
  UnsupportedStoreError,
} from "./errors.js";
