/**
 * The errors `@cairn/pg-store` throws on purpose. Each has a string `code`, an explicit `name`,
 * its data in fields, and a static `is()` that checks the code, so it still recognises errors
 * thrown by a second copy of this package. An unreachable database is core's
 * `StoreUnavailableError`, so the engine recognises an outage whichever store raised it. Database
 * errors we do not classify pass through as postgres.js or PGlite raised them.
 */
import { StoreUnavailableError } from "@cairn/core";

const hasCode = (error: unknown, code: string): boolean =>
  error instanceof Error && (error as { code?: unknown }).code === code;

/** Another live process (or another store in this one) has the PGlite data directory open. */
export class DataDirLockedError extends Error {
  override readonly name = "DataDirLockedError";
  readonly code = "DATA_DIR_LOCKED";

  /** The data directory, as an absolute path. */
  readonly dataDir: string;
  /** The process that holds the lock. */
  readonly pid: number;

  constructor(dataDir: string, pid: number) {
    super(
      `PGlite data directory ${dataDir} is in use by process ${pid}` +
        (pid === process.pid ? " (this process: close the other store first)" : "") +
        `. PGlite allows one process per data directory; use Postgres to share a database.`,
    );
    this.dataDir = dataDir;
    this.pid = pid;
  }

  static is(error: unknown): error is DataDirLockedError {
    return hasCode(error, "DATA_DIR_LOCKED");
  }
}

/**
 * A PGlite data directory cannot be opened as it is: not empty but without a database in it, or
 * with a damaged control file or WAL. Cairn changed nothing in it.
 */
export class DataDirDamagedError extends Error {
  override readonly name = "DataDirDamagedError";
  readonly code = "DATA_DIR_DAMAGED";

  /** The data directory, as an absolute path. */
  readonly dataDir: string;
  /** What is wrong, e.g. `PG_VERSION is missing` or the database's own PANIC message. */
  readonly problem: string;

  constructor(dataDir: string, problem: string, options?: { cause?: unknown }) {
    super(
      `PGlite data directory ${dataDir} cannot be opened: ${problem}. Cairn changed nothing in ` +
        `it; restore it from a backup, or move it aside to start with an empty database.`,
      options,
    );
    this.dataDir = dataDir;
    this.problem = problem;
  }

  static is(error: unknown): error is DataDirDamagedError {
    return hasCode(error, "DATA_DIR_DAMAGED");
  }
}

/** The schema name is not a plain SQL identifier. */
export class SchemaNameInvalidError extends Error {
  override readonly name = "SchemaNameInvalidError";
  readonly code = "SCHEMA_NAME_INVALID";

  /** The rejected name. */
  readonly schema: string;

  constructor(schema: string) {
    super(
      `invalid schema name ${JSON.stringify(schema)}: use 1 to 63 letters, digits and ` +
        `underscores, not starting with a digit`,
    );
    this.schema = schema;
  }

  static is(error: unknown): error is SchemaNameInvalidError {
    return hasCode(error, "SCHEMA_NAME_INVALID");
  }
}

/**
 * The database could not be reached, or the connection broke mid-call. `cause` has the detail.
 * A `StoreUnavailableError` (code `STORE_UNAVAILABLE`): the engine retries until it is back.
 */
export class DatabaseUnavailableError extends StoreUnavailableError {
  override name = "DatabaseUnavailableError";

  constructor(cause: unknown) {
    const detail = cause instanceof Error ? cause.message || (cause as { code?: string }).code : "";
    super(`database unavailable: ${String(detail)}`, { cause });
  }

  /** True for this store's outage error, also from a second copy of the package. */
  static override is = (error: unknown): error is DatabaseUnavailableError =>
    StoreUnavailableError.is(error) && error.name === "DatabaseUnavailableError";
}

/** A store method was called after `close()`. */
export class StoreClosedError extends Error {
  override readonly name = "StoreClosedError";
  readonly code = "STORE_CLOSED";

  /** The method that was called. */
  readonly method: string;

  constructor(method: string) {
    super(`store is closed: ${method}() called after close()`);
    this.method = method;
  }

  static is(error: unknown): error is StoreClosedError {
    return hasCode(error, "STORE_CLOSED");
  }
}

/**
 * A `transaction()` was called in a workflow whose engine's store is not one this package made
 * (so there is no database to run it on), and no `database` option names one.
 */
export class UnsupportedStoreError extends Error {
  override readonly name = "UnsupportedStoreError";
  readonly code = "UNSUPPORTED_STORE";

  /** The transaction's name. */
  readonly transaction: string;

  constructor(transaction: string) {
    super(
      `transaction "${transaction}" needs the engine's store to be createPgStore() or ` +
        `createPgliteStore() (or a wrapper made with {...store}), or a \`database\` option`,
    );
    this.transaction = transaction;
  }

  static is(error: unknown): error is UnsupportedStoreError {
    return hasCode(error, "UNSUPPORTED_STORE");
  }
}
