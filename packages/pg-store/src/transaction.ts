/**
 * `transaction()`: database work that runs exactly once per workflow. The body gets the driver's
 * own transaction object (postgres.js `TransactionSql`, or PGlite's `Transaction` on PGlite) and
 * its result is checkpointed in the same commit as its writes, so after a crash either both
 * exist (replay returns the result without running the body) or neither does (it runs again).
 * Called like a step: `await reserve(ctx, ticketId)`. It is built on core's
 * `runDurableOperation`; the SQL lives in `transactions/` and `queries/`.
 */
import {
  InvalidOptionError,
  runDurableOperation,
  type AnyWorkflowContext,
  type DurableOperationOutcome,
  type DurableOperationScope,
  type Logger,
  type WorkflowStore,
} from "@cairn/core";
import type { Transaction as PGliteTransactionType } from "@electric-sql/pglite";
import type postgres from "postgres";
import { UnsupportedStoreError } from "./errors.js";
import { completionStatements } from "./queries/completions.js";
import { connectionOf } from "./store-connection.js";
import { performTransaction, type TransactionPlan } from "./transactions/perform.js";
import {
  appExecutor,
  appTarget,
  readOnlyTarget,
  storeTarget,
  type AppDatabase,
  type TransactionTarget,
} from "./transactions/targets.js";

/** The transaction object of postgres.js that a body gets on Postgres. */
export type PostgresTransaction = postgres.TransactionSql;
/** The transaction object of PGlite that a body gets on PGlite. */
export type PGliteTransaction = PGliteTransactionType;
/** Either driver's transaction object. */
export type DriverTransaction = PostgresTransaction | PGliteTransaction;

/** Isolation levels a transaction can run at. */
export type IsolationLevel = "read committed" | "repeatable read" | "serializable";

/** Options of {@link transaction}. Only `name` is required. */
export interface TransactionOptions {
  /** The name recorded with the checkpoint; replay checks it. Keep it stable. */
  readonly name: string;
  /** Default `"read committed"`. */
  readonly isolationLevel?: IsolationLevel;
  /**
   * Runs `read only`. The body may not write, and its checkpoint is recorded after the commit,
   * like a step's. Default false.
   */
  readonly readOnly?: boolean;
  /** Serialization failures (40001) and deadlocks (40P01) retried before they are recorded. Default 10. */
  readonly maxRetries?: number;
  /**
   * Postgres ends the session of a transaction idle (no statement running) for longer than this,
   * rolling it back, so a frozen process cannot hold the workflow's lock forever. Default 30 000.
   * Not applied on PGlite.
   */
  readonly idleTimeoutMs?: number;
  /**
   * The application's database, when it is not the store's: a postgres.js client or a PGlite
   * instance. A completion row is then written there in the same commit (see
   * `migrateCompletions`). Default: the store's own database.
   */
  readonly database?: AppDatabase;
  /** Schema of the completion table in `database`. Default `"cairn"`. */
  readonly completionSchema?: string;
}

/** What a `transaction.withContext` body receives first. */
export interface TransactionContext {
  readonly workflowId: string;
  /** The transaction's recorded name. */
  readonly stepName: string;
  /** 1 on the first try, 2 after a serialization failure or deadlock was retried... */
  readonly attempt: number;
  /** Aborts when the engine abandons the run; the transaction will then roll back. */
  readonly signal: AbortSignal;
  readonly log: Logger;
}

/** A checkpointed transaction: call it with the workflow context, then the body's arguments. */
export interface TransactionStep<Args extends unknown[], Out> {
  (ctx: AnyWorkflowContext, ...args: Args): Promise<Out>;
  /** The transaction's recorded name. */
  readonly name: string;
}

type Body = (tcx: TransactionContext, tx: unknown, args: readonly unknown[]) => unknown;

/**
 * Defines a transaction: the body runs inside one database transaction that also records its
 * result, once per workflow. Annotate `tx` as `PGliteTransaction` on PGlite.
 *
 * @example
 * const reserve = transaction("reserveTicket", async (tx, ticketId: string, buyer: string) => {
 *   const rows = await tx`update tickets set held_by = ${buyer}
 *                         where id = ${ticketId} and held_by is null returning id`;
 *   return rows.length === 1;
 * });
 * const ok = await reserve(ctx, "A-12", "ada");
 */
export function transaction<Args extends unknown[], Out, Tx = PostgresTransaction>(
  nameOrOptions: string | TransactionOptions,
  body: (tx: Tx, ...args: Args) => Out | Promise<Out>,
): TransactionStep<Args, Awaited<Out>> {
  return makeTransaction(nameOrOptions, (_, tx, args) => body(tx as Tx, ...(args as Args)));
}

/**
 * Defines a transaction whose body gets a {@link TransactionContext} first: the workflow ID,
 * the attempt number and a signal.
 *
 * @example
 * const audit = transaction.withContext("audit", async ({ workflowId }, tx, what: string) => {
 *   await tx`insert into audit (workflow_id, what) values (${workflowId}, ${what})`;
 * });
 */
transaction.withContext = function withContext<
  Args extends unknown[],
  Out,
  Tx = PostgresTransaction,
>(
  nameOrOptions: string | TransactionOptions,
  body: (tcx: TransactionContext, tx: Tx, ...args: Args) => Out | Promise<Out>,
): TransactionStep<Args, Awaited<Out>> {
  return makeTransaction(nameOrOptions, (tcx, tx, args) => body(tcx, tx as Tx, ...(args as Args)));
};

interface Settings {
  readonly name: string;
  readonly plan: Omit<TransactionPlan, "body">;
  readonly idleTimeoutMs: number;
  readonly app: ReturnType<typeof appExecutor> | undefined;
  readonly completionSchema: string;
}

function makeTransaction<Args extends unknown[], Out>(
  nameOrOptions: string | TransactionOptions,
  body: Body,
): TransactionStep<Args, Out> {
  const settings = validate(
    typeof nameOrOptions === "string" ? { name: nameOrOptions } : nameOrOptions,
  );
  const targets = new WeakMap<WorkflowStore, TransactionTarget | undefined>();
  const targetOf = (store: WorkflowStore): TransactionTarget | undefined => {
    if (!targets.has(store)) targets.set(store, targetFor(settings, store));
    return targets.get(store);
  };
  const call = (ctx: AnyWorkflowContext, ...args: Args) =>
    runDurableOperation<Out>(ctx, settings.name, async (scope) => {
      const target = targetOf(scope.store);
      if (!target) return unsupported(scope);
      return performTransaction(
        target,
        {
          ...settings.plan,
          body: (native, attempt) => body(contextOf(scope, attempt), native, args),
        },
        scope,
      );
    });
  Object.defineProperty(call, "name", { value: settings.name });
  return call as TransactionStep<Args, Out>;
}

function contextOf(scope: DurableOperationScope, attempt: number): TransactionContext {
  return {
    workflowId: scope.workflowId,
    stepName: scope.name,
    attempt,
    signal: scope.signal,
    log: scope.log,
  };
}

/**
 * A store with no database to run on is a mistake in the program, not an outage: it becomes the
 * call's recorded error, so the workflow fails visibly instead of waiting forever.
 */
function unsupported(scope: DurableOperationScope): Promise<DurableOperationOutcome> {
  const error = scope.serializer.serializeError(new UnsupportedStoreError(scope.name), scope.name);
  return Promise.resolve({
    checkpoint: {
      workflowId: scope.workflowId,
      position: scope.position,
      name: scope.name,
      output: undefined,
      error,
      childWorkflowId: undefined,
      attempts: 1,
      startedAt: scope.startedAt,
      completedAt: Date.now(),
    },
  });
}

/** The target for this call: the application's database, the store's own, or none. */
function targetFor(settings: Settings, store: WorkflowStore): TransactionTarget | undefined {
  if (settings.app) {
    return appTarget(settings.app, {
      completionSchema: settings.completionSchema,
      idleTimeoutMs: settings.idleTimeoutMs,
      readOnly: settings.plan.mode.readOnly,
    });
  }
  const internals = connectionOf(store);
  if (!internals) return undefined;
  return settings.plan.mode.readOnly
    ? readOnlyTarget(internals, settings.idleTimeoutMs)
    : storeTarget(internals, settings.idleTimeoutMs);
}

const isolationLevels: readonly IsolationLevel[] = [
  "read committed",
  "repeatable read",
  "serializable",
];

function validate(options: TransactionOptions): Settings {
  const { name } = options;
  if (typeof name !== "string" || name.trim() === "") {
    throw new InvalidOptionError("transaction name", "expected a non-empty string");
  }
  const what = (option: string) => `transaction "${name}".${option}`;
  const isolationLevel = options.isolationLevel ?? "read committed";
  if (!isolationLevels.includes(isolationLevel)) {
    throw new InvalidOptionError(what("isolationLevel"), `expected ${isolationLevels.join(", ")}`);
  }
  const maxRetries = options.maxRetries ?? 10;
  if (!Number.isInteger(maxRetries) || maxRetries < 0) {
    throw new InvalidOptionError(what("maxRetries"), "expected an integer >= 0");
  }
  const idleTimeoutMs = options.idleTimeoutMs ?? 30_000;
  if (!Number.isInteger(idleTimeoutMs) || idleTimeoutMs <= 0) {
    throw new InvalidOptionError(what("idleTimeoutMs"), "expected a positive integer");
  }
  return {
    name,
    plan: { mode: { isolationLevel, readOnly: options.readOnly === true }, maxRetries },
    idleTimeoutMs,
    app: options.database === undefined ? undefined : appDatabase(options.database, what),
    completionSchema: validSchema(options.completionSchema ?? "cairn"),
  };
}

/** Throws `SchemaNameInvalidError` now rather than at the first call. */
function validSchema(schema: string): string {
  completionStatements(schema);
  return schema;
}

function appDatabase(database: AppDatabase, what: (option: string) => string) {
  const isPostgres = typeof database === "function" && "begin" in database;
  const isPglite =
    typeof database === "object" && database !== null && typeof database.transaction === "function";
  if (!isPostgres && !isPglite) {
    throw new InvalidOptionError(what("database"), "expected a postgres.js client or PGlite");
  }
  return appExecutor(database);
}
