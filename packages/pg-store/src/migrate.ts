/**
 * Applies the embedded migrations, each once, in version order. Every migration runs in its own
 * transaction holding a transaction-scoped advisory lock derived from the schema name, so any
 * number of processes can call `migrate()` at the same time: one applies, the others wait and
 * then find nothing to do. Applied versions are recorded in `<schema>.migrations`.
 * A database migrated by newer code (a version we do not know) is left alone.
 *
 * Launch reads the newest applied version first, in one statement without a transaction or
 * lock: a migration's row commits with the migration, so once the newest version we know is
 * visible every migration is applied and there is nothing to wait for. Otherwise (a fresh
 * database, older code's schema, another process migrating right now) it takes the lock path
 * below. The read saved 8 of the 9 round trips an up-to-date launch made.
 *
 * On a live database a migration meets the locks of running engines: a migration statement
 * waits at most `lockTimeoutMs` for a lock (it would otherwise hold every statement queued
 * behind it), and a migration whose transaction fails with a deadlock (40P01) or a lock timeout
 * (55P03) is tried again after a backoff, up to `tries` times; then its error is thrown.
 */
import type { SqlExecutor, SqlQueryable } from "./executors/sql-executor.js";
import type { EmbeddedMigration } from "./migrations/embedded-migration.js";
import { embeddedMigrations } from "./migrations/embedded.js";
import { NOW_MS } from "./queries/now-ms.js";
import type { SchemaNames } from "./schema-names.js";

/** First key of every Cairn advisory lock: "cair" in ASCII. */
const LOCK_CLASS = 0x63616972;

/** A stable signed 32-bit hash (FNV-1a) of the schema name: the second advisory lock key. */
export function migrationLockKey(schema: string): number {
  let hash = 0x811c9dc5;
  for (const byte of new TextEncoder().encode(`migrate:${schema}`)) {
    hash = Math.imul(hash ^ byte, 0x01000193);
  }
  return hash | 0;
}

/** How migrations meet the locks of a live database. */
export interface MigrateOptions {
  /** How long a migration's statement waits for a table lock before its try fails. Default 5,000. */
  readonly lockTimeoutMs?: number;
  /** Tries of a migration that fails with a deadlock or a lock timeout. Default 10. */
  readonly tries?: number;
  /** Wait before the second try, doubling up to 5 s, with jitter. Default 100. */
  readonly retryDelayMs?: number;
  /** Called after a try failed with a deadlock or lock timeout, before the next one. */
  readonly onRetry?: (error: unknown, attempt: number) => void | Promise<void>;
}

/** SQLSTATEs of a try that lost to other transactions' locks: deadlock, lock timeout. */
const LOCK_CONFLICTS = new Set(["40P01", "55P03"]);

const isLockConflict = (error: unknown): boolean =>
  LOCK_CONFLICTS.has(String((error as { code?: unknown } | null)?.code));

/** Brings the schema up to the newest embedded migration. */
export async function migrate(
  db: SqlExecutor,
  names: SchemaNames,
  migrations: readonly EmbeddedMigration[] = embeddedMigrations,
  options: MigrateOptions = {},
): Promise<void> {
  if (await upToDate(db, names, migrations)) return;
  while (await applyNextWithRetry(db, names, migrations, options)) {
    // one migration per transaction, until none is pending
  }
}

/** SQLSTATEs of a schema or migrations table not created yet: undefined table, schema. */
const NOT_CREATED = new Set(["42P01", "3F000"]);

/**
 * Whether the newest migration of `migrations` (or a later one) is applied, read without a
 * transaction; false when the migrations table does not exist yet.
 */
async function upToDate(
  db: SqlQueryable,
  names: SchemaNames,
  migrations: readonly EmbeddedMigration[],
): Promise<boolean> {
  const newest = Math.max(0, ...migrations.map((m) => m.version));
  try {
    const [row] = await db.query<{ version: number }>(
      `select coalesce(max(version), 0)::int as version from ${names.migrations}`,
    );
    return (row?.version ?? 0) >= newest;
  } catch (error) {
    if (NOT_CREATED.has(String((error as { code?: unknown } | null)?.code))) return false;
    throw error;
  }
}

/** `applyNext`, tried again after a deadlock or lock timeout (its transaction rolled back). */
async function applyNextWithRetry(
  db: SqlExecutor,
  names: SchemaNames,
  migrations: readonly EmbeddedMigration[],
  options: MigrateOptions,
): Promise<boolean> {
  const { lockTimeoutMs = 5_000, tries = 10, retryDelayMs = 100, onRetry } = options;
  for (let attempt = 1; ; attempt++) {
    try {
      return await applyNext(db, names, migrations, lockTimeoutMs);
    } catch (error) {
      if (!isLockConflict(error) || attempt >= tries) throw error;
      await onRetry?.(error, attempt);
      const delayMs = Math.min(retryDelayMs * 2 ** (attempt - 1), 5_000);
      await new Promise((resolve) => setTimeout(resolve, delayMs * (0.5 + Math.random())));
    }
  }
}

/** Applies the next pending migration; false when there was none. */
async function applyNext(
  db: SqlExecutor,
  names: SchemaNames,
  migrations: readonly EmbeddedMigration[],
  lockTimeoutMs: number,
): Promise<boolean> {
  return db.transaction(async (tx) => {
    await tx.query("select pg_advisory_xact_lock($1::int, $2::int)", [
      LOCK_CLASS,
      migrationLockKey(names.schema),
    ]);
    // After the advisory lock: a process waiting for another's migration waits as long as it takes.
    await tx.query("select set_config('lock_timeout', $1, true)", [`${lockTimeoutMs}ms`]);
    const applied = await appliedVersion(tx, names);
    const next = migrations.find((m) => m.version === applied + 1);
    if (!next) return false;
    await tx.script(
      next.sql
        .replaceAll("{{schema}}", () => names.quoted)
        .replaceAll("{{channel}}", () => names.channel),
    );
    await tx.query(
      `insert into ${names.migrations} (version, name, applied_at) values ($1, $2, ${NOW_MS})`,
      [next.version, next.name],
    );
    return true;
  });
}

/** The newest applied version; creates the schema and the migrations table when missing. */
async function appliedVersion(tx: SqlQueryable, names: SchemaNames): Promise<number> {
  // Catalog checks rather than "if not exists", which would raise notices on every launch.
  const [state] = await tx.query<{ has_schema: boolean; has_table: boolean }>(
    `select exists (select 1 from pg_namespace where nspname = $1) as has_schema,
            to_regclass($2) is not null as has_table`,
    [names.schema, names.migrations],
  );
  if (!state?.has_schema) await tx.script(`create schema ${names.quoted}`);
  if (!state?.has_table) {
    await tx.script(`create table ${names.migrations} (
      version int primary key,
      name text not null,
      applied_at bigint not null
    )`);
    return 0;
  }
  const [row] = await tx.query<{ version: number }>(
    `select coalesce(max(version), 0)::int as version from ${names.migrations}`,
  );
  return row?.version ?? 0;
}
