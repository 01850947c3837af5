/**
 * The `WorkflowStore` on SQL, shared by the Postgres and PGlite entry points: it owns the
 * "store is closed" rule, group commit for checkpoints and outcomes, the retry of the rare
 * create race, and the recovery transaction. Statements live in `queries/`, drivers behind
 * `SqlExecutor`; this module only decides what runs when.
 */
import type {
  NewWorkflow,
  RecoveryClaim,
  RecoveryResult,
  StepRecord,
  WorkflowOutcome,
  WorkflowStore,
} from "@cairn/core";
import { StoreClosedError } from "./errors.js";
import type { SqlExecutor } from "./executors/sql-executor.js";
import { createGroupCommit } from "./group-commit.js";
import { migrate } from "./migrate.js";
import { insertSteps, listSteps, stepKey, stepStatements } from "./queries/steps.js";
import {
  claimWorkflows,
  createWorkflow,
  finishWorkflows,
  getWorkflow,
  listUnknownWorkflows,
  workflowStatements,
} from "./queries/workflows.js";
import type { SchemaNames } from "./schema-names.js";

/** A `WorkflowStore` on Postgres or PGlite. */
export interface PgStore extends WorkflowStore {
  /** The schema holding the store's tables, e.g. `cairn`. */
  readonly schema: string;
}

/** What {@link createSqlStore} needs. */
export interface SqlStoreOptions {
  readonly db: SqlExecutor;
  readonly names: SchemaNames;
  /** Decides whether a failed batch is worth retrying item by item (not for lost connections). */
  readonly retryAlone: (error: unknown) => boolean;
}

/** Rows per group-commit statement: keeps parameters and statement size bounded. */
const MAX_BATCH = 1000;

/** Builds the store over a driver; the caller has validated the schema name. */
export function createSqlStore({ db, names, retryAlone }: SqlStoreOptions): PgStore {
  const workflowsQ = workflowStatements(names);
  const stepsQ = stepStatements(names);
  let closed = false;

  const checkpoints = createGroupCommit<StepRecord, boolean>({
    flush: (batch) => insertSteps(db, stepsQ, batch),
    key: (s) => stepKey(s.workflowId, s.position),
    maxBatch: MAX_BATCH,
    retryAlone,
  });
  const outcomes = createGroupCommit<WorkflowOutcome, boolean>({
    flush: (batch) => finishWorkflows(db, workflowsQ, batch),
    key: (o) => o.workflowId,
    maxBatch: MAX_BATCH,
    retryAlone,
  });

  /** Runs `fn` unless the store is closed, in which case the returned promise rejects. */
  const open = <T>(method: keyof WorkflowStore, fn: () => Promise<T>): Promise<T> =>
    closed ? Promise.reject(new StoreClosedError(method)) : fn();

  const create = async (workflow: NewWorkflow) => {
    // undefined: a concurrent insert committed after our snapshot; the next try sees it.
    for (let attempt = 0; attempt < 3; attempt++) {
      const result = await createWorkflow(db, workflowsQ, workflow);
      if (result) return result;
    }
    throw new Error(`createWorkflow(${workflow.workflowId}): neither inserted nor found`);
  };

  const claim = (request: RecoveryClaim): Promise<RecoveryResult> =>
    db.transaction(async (tx) => {
      const claimed = await claimWorkflows(tx, workflowsQ, request);
      const unknown = await listUnknownWorkflows(tx, workflowsQ, request);
      claimed.sort((a, b) => a.createdAt - b.createdAt || (a.workflowId < b.workflowId ? -1 : 1));
      return {
        recovered: claimed.filter((w) => w.status === "PENDING"),
        deadLettered: claimed.filter((w) => w.status === "DEAD_LETTER"),
        unknown,
      };
    });

  return {
    schema: names.schema,
    migrate: () => open("migrate", () => migrate(db, names)),
    createWorkflow: (workflow) => open("createWorkflow", () => create(workflow)),
    getWorkflow: (id) => open("getWorkflow", () => getWorkflow(db, workflowsQ, id)),
    listSteps: (id) => open("listSteps", () => listSteps(db, stepsQ, id)),
    recordStep: (step) => open("recordStep", () => checkpoints.submit(step)),
    finishWorkflow: (outcome) => open("finishWorkflow", () => outcomes.submit(outcome)),
    claimRecoverable: (request) => open("claimRecoverable", () => claim(request)),
    async close() {
      if (closed) return;
      closed = true;
      await Promise.all([checkpoints.idle(), outcomes.idle()]);
      await db.close();
    },
  };
}
