/**
 * Where a `transaction()` runs and where its result is kept, as two targets with one shape.
 * The store's own database: the opening statement locks the workflow row and checks the fence,
 * and the checkpoint row itself commits with the user's writes. Another database: a completion
 * row commits with the user's writes there, and the engine then records the checkpoint in the
 * store. Read-only transactions write neither; the engine records their checkpoint. This module
 * knows the tables; `perform.ts` decides what to do with each outcome.
 */
import {
  WorkflowOwnershipLostError,
  type DurableOperationScope,
  type StepRecord,
} from "@cairn/core";
import type { PGliteInterface } from "@electric-sql/pglite";
import type postgres from "postgres";
import { pgliteExecutor } from "../executors/pglite-executor.js";
import { postgresExecutor } from "../executors/postgres-executor.js";
import type { SqlExecutor, SqlQueryable } from "../executors/sql-executor.js";
import {
  completionStatements,
  getCompletion,
  insertCompletion,
  openCompletion,
} from "../queries/completions.js";
import {
  getCheckpoint,
  insertCheckpoint,
  openReadOnly,
  openTransaction,
  transactionStatements,
} from "../queries/transactions.js";
import type { PgConnection } from "../store-connection.js";

/** A database of the application: a postgres.js client or a PGlite instance. */
export type AppDatabase = postgres.Sql | PGliteInterface;

/** What the opening of an attempt found. */
export type TargetOpening =
  { readonly kind: "recorded"; readonly step: StepRecord } | { readonly kind: "open" };

/** One place a transaction can run: how to open it, keep its result, and find it again. */
export interface TransactionTarget {
  readonly db: SqlExecutor;
  /** Whether a checkpoint this target wrote is already the store's (no engine write needed). */
  readonly recordsCheckpoint: boolean;
  /** Runs before the transaction begins (a fence check that cannot be made inside it). */
  before(scope: DurableOperationScope): Promise<void>;
  /** The first statement inside the transaction; throws `WorkflowOwnershipLostError` when fenced. */
  open(tx: SqlQueryable, scope: DurableOperationScope): Promise<TargetOpening>;
  /** Writes the result inside the transaction; false when the position was taken meanwhile. */
  keep(tx: SqlQueryable, record: StepRecord): Promise<boolean>;
  /** Reads a result kept by someone else, after the rollback. */
  find(scope: DurableOperationScope): Promise<StepRecord | undefined>;
}

const lost = (scope: DurableOperationScope) =>
  new WorkflowOwnershipLostError(scope.workflowId, scope.fence.executorId);

/** The store's own database: checkpoint and user writes in one commit, fenced by a row lock. */
export function storeTarget(internals: PgConnection, idleTimeoutMs: number): TransactionTarget {
  const q = transactionStatements(internals.names);
  // PGlite is one process by construction (nobody to take over), and a session timeout would
  // end its only backend: no timeout there.
  const idle = internals.exclusive ? 0 : idleTimeoutMs;
  return {
    db: internals.db,
    recordsCheckpoint: true,
    before: () => Promise.resolve(),
    async open(tx, scope) {
      const opening = await openTransaction(tx, q, { ...scope, idleTimeoutMs: idle });
      if (opening.kind === "lost") throw lost(scope);
      return opening;
    },
    keep: (tx, record) => insertCheckpoint(tx, q, record),
    find: (scope) => getCheckpoint(internals.db, q, scope.workflowId, scope.position),
  };
}

/** Read-only on the store's database: nothing to lock or keep; the engine records the result. */
export function readOnlyTarget(internals: PgConnection, idleTimeoutMs: number): TransactionTarget {
  const q = transactionStatements(internals.names);
  const idle = internals.exclusive ? 0 : idleTimeoutMs;
  return {
    db: internals.db,
    recordsCheckpoint: false,
    before: () => Promise.resolve(),
    async open(tx) {
      await openReadOnly(tx, q, idle);
      return { kind: "open" };
    },
    keep: () => Promise.resolve(true),
    find: () => Promise.resolve(undefined),
  };
}

/** Wraps the application's client (never closed by Cairn) and says whether it is PGlite. */
export function appExecutor(database: AppDatabase): { db: SqlExecutor; pglite: boolean } {
  if (typeof database === "function")
    return { db: postgresExecutor(database, false), pglite: false };
  return {
    db: pgliteExecutor(
      () => Promise.resolve(database),
      false,
      () => undefined,
    ),
    pglite: true,
  };
}

/**
 * Another database: the completion row commits with the user's writes, is consulted before
 * the body runs, and its primary key lets only one transaction per position commit.
 */
export function appTarget(
  app: { db: SqlExecutor; pglite: boolean },
  options: { completionSchema: string; idleTimeoutMs: number; readOnly: boolean },
): TransactionTarget {
  const q = completionStatements(options.completionSchema);
  const idle = app.pglite ? 0 : options.idleTimeoutMs;
  return {
    db: app.db,
    recordsCheckpoint: false,
    async before(scope) {
      // No lock can span two databases: this check narrows the window, the key closes it.
      const workflow = await scope.store.getWorkflow(scope.workflowId);
      const { executorId, epoch } = scope.fence;
      if (workflow?.executorId !== executorId || workflow.ownerEpoch !== epoch) throw lost(scope);
    },
    async open(tx, scope) {
      const step = await openCompletion(tx, q, { ...scope, idleTimeoutMs: idle });
      return step ? { kind: "recorded", step } : { kind: "open" };
    },
    keep: (tx, record) =>
      options.readOnly ? Promise.resolve(true) : insertCompletion(tx, q, record),
    find: (scope) => getCompletion(app.db, q, scope.workflowId, scope.position),
  };
}
