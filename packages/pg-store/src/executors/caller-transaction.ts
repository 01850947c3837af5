/**
 * A transaction the caller opened on their own connection — postgres.js's `TransactionSql`
 * (inside `sql.begin(tx => …)`) or PGlite's `Transaction` (inside `db.transaction(tx => …)`) —
 * seen as a `SqlQueryable`, so the store's statements can run inside it. This is how work is
 * started "in the caller's transaction" (the outbox `{ tx }` options): the row exists if and only
 * if the caller commits, and its notification is delivered by Postgres at that commit.
 * Anything else is refused with a clear error rather than guessed at.
 */
import { InvalidOptionError } from "@cairn/core";
import type { SqlQueryable } from "./sql-executor.js";

/** The part of postgres.js's `TransactionSql` the store uses. */
interface PostgresJsTransaction {
  (...args: never[]): unknown;
  unsafe(text: string, params?: unknown[], options?: { prepare?: boolean }): Promise<unknown>;
  savepoint: unknown;
}

/** The part of PGlite's `Transaction` the store uses. */
interface PgliteTransaction {
  query<R>(text: string, params?: unknown[]): Promise<{ rows: R[] }>;
  exec(text: string): Promise<unknown>;
  rollback(): Promise<void>;
}

function isPostgresJs(tx: unknown): tx is PostgresJsTransaction {
  const candidate = tx as Partial<PostgresJsTransaction> | undefined;
  return (
    typeof tx === "function" &&
    typeof candidate?.unsafe === "function" &&
    candidate.savepoint !== undefined
  );
}

function isPglite(tx: unknown): tx is PgliteTransaction {
  const candidate = tx as Partial<PgliteTransaction> | null;
  return (
    typeof tx === "object" &&
    candidate !== null &&
    typeof candidate.query === "function" &&
    typeof candidate.exec === "function" &&
    typeof candidate.rollback === "function"
  );
}

/** True when `tx` looks like a transaction this package can write into. */
export function isCallerTransaction(tx: unknown): boolean {
  return isPostgresJs(tx) || isPglite(tx);
}

/**
 * Wraps the caller's transaction. `option` names the option it came from, for the error.
 * @throws InvalidOptionError when `tx` is neither a postgres.js nor a PGlite transaction.
 */
export function callerTransaction(tx: unknown, option = "tx"): SqlQueryable {
  if (isPostgresJs(tx)) {
    return {
      async query<R>(text: string, params: readonly unknown[] = []): Promise<R[]> {
        return (await tx.unsafe(text, [...params], { prepare: true })) as R[];
      },
      async script(text: string): Promise<void> {
        await tx.unsafe(text);
      },
    };
  }
  if (isPglite(tx)) {
    return {
      async query<R>(text: string, params: readonly unknown[] = []): Promise<R[]> {
        return (await tx.query<R>(text, [...params])).rows;
      },
      async script(text: string): Promise<void> {
        await tx.exec(text);
      },
    };
  }
  throw new InvalidOptionError(
    option,
    "expected the transaction handle of postgres.js (sql.begin(tx => …)) or PGlite (db.transaction(tx => …))",
  );
}
