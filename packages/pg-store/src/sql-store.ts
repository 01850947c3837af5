/**
 * The `WorkflowStore` on SQL, shared by the Postgres and PGlite entry points: it owns the
 * "store is closed" rule, group commit for creates, checkpoints and outcomes, the retry of the
 * rare races where a row commits after a statement's snapshot, the recovery and takeover
 * transactions, turning a failed fence into `WorkflowOwnershipLostError`, and the subscriptions
 * to the schema's notification channel. Statements live in `queries/`,
 * drivers behind `SqlExecutor`; this module only decides what runs when.
 */
import {
  WorkflowOwnershipLostError,
  type CreateWorkflowResult,
  type Fence,
  type NewWorkflow,
  type LaunchClaim,
  type RecoveryResult,
  type StepRecord,
  type StoreNotification,
  type TakeoverClaim,
  type WorkflowFilter,
  type WorkflowOutcome,
  type WorkflowRecord,
  type WorkflowStore,
} from "@cairn/core";
import { callerTransaction } from "./executors/caller-transaction.js";
import { createMany } from "./create-many.js";
import type { SqlExecutor } from "./executors/sql-executor.js";
import { createGroupCommit } from "./group-commit.js";
import { migrate } from "./migrate.js";
import {
  claimStatements,
  claimWorkflows,
  listTakeoverUnknown,
  listUnknownWorkflows,
  refundRecoveryAttempts,
  takeOverWorkflows,
} from "./queries/claims.js";
import { createdBatchStatements, listCreatedBatch } from "./queries/created-batch.js";
import { eventStatements, getEvent, setEvent } from "./queries/events.js";
import { executorStatements, heartbeat, listExecutors, stopExecutor } from "./queries/executors.js";
import { consumeMessage, getStep, messageStatements, sendMessage } from "./queries/messages.js";
import { parseNotification } from "./queries/notify.js";
import { deleteFinished, deleteWorkflows, retentionStatements } from "./queries/retention.js";
import {
  insertSteps,
  listSteps,
  listStepsOf,
  stepKey,
  stepStatements,
  type FencedStep,
  type StepOutcome,
} from "./queries/steps.js";
import {
  listStepAttempts,
  recordStepAttempt,
  stepAttemptStatements,
} from "./queries/step-attempts.js";
import { readStream, streamStatements, writeStream } from "./queries/streams.js";
import {
  claimDueWorkflows,
  listRunnable,
  suspendWorkflows,
  suspensionStatements,
  type FencedSuspension,
  type SuspensionResult,
} from "./queries/suspensions.js";
import {
  cancelWorkflows,
  controlStatements,
  forkWorkflow,
  resumeWorkflows,
  setAttributes,
} from "./queries/workflow-control.js";
import {
  createWorkflows,
  finishWorkflows,
  getWorkflow,
  listWorkflows,
  setAppVersion,
  workflowStatements,
  type FencedOutcome,
  type FinishResult,
} from "./queries/workflows.js";
import {
  createOneWorkflow,
  finishOneWorkflow,
  oneRowStatements,
} from "./queries/workflow-one-row.js";
import type { SchemaNames } from "./schema-names.js";
import { untilSeen, whileOpen } from "./store-calls.js";
import type { PgConnection } from "./store-connection.js";

/** A `WorkflowStore` on Postgres or PGlite. */
export interface PgStore extends WorkflowStore {
  /** The schema holding the store's tables, e.g. `cairn`. */
  readonly schema: string;
  /**
   * The store's database, for modules that build on it (the queue store, transactions,
   * inspection): see `store-connection.ts`. Not for writing workflows: use the methods.
   */
  readonly connection: PgConnection;
  subscribe(listener: (notification: StoreNotification) => void): Promise<() => Promise<void>>;
  readonly exclusive: boolean;
}

/** What {@link createSqlStore} needs. */
export interface SqlStoreOptions {
  readonly db: SqlExecutor;
  /**
   * Where heartbeats and the executor's stop go instead of `db`: a connection of their own, so
   * workflow statements filling `db`'s pool never delay them past the lease. Closed with the store.
   */
  readonly leaseDb?: SqlExecutor | undefined;
  readonly names: SchemaNames;
  /** Decides whether a failed batch is worth retrying item by item (not for lost connections). */
  readonly retryAlone: (error: unknown) => boolean;
  /** Whether only one process can open this database (PGlite). */
  readonly exclusive: boolean;
}

/** Rows per group-commit statement: keeps parameters and statement size bounded. */
const MAX_BATCH = 1000;

/** The wait in `close()` for in-flight batches, then for unlistening. */
const CLOSE_WAIT_MS = 500;

/** Waits until every promise settled or `ms` passed, whichever is first; never rejects. */
async function settledWithin(ms: number, ...work: Promise<unknown>[]): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<void>((resolve) => (timer = setTimeout(resolve, ms)));
  await Promise.race([Promise.allSettled(work), late]);
  clearTimeout(timer);
}

/** Builds the store over a driver; the caller has validated the schema name. */
export function createSqlStore(options: SqlStoreOptions): PgStore {
  const { db, names, retryAlone, exclusive } = options;
  const leaseDb = options.leaseDb ?? db;
  const workflowsQ = workflowStatements(names);
  const oneRowQ = oneRowStatements(names);
  const claimsQ = claimStatements(names);
  const executorsQ = executorStatements(names);
  const retentionQ = retentionStatements(names);
  const stepsQ = stepStatements(names);
  const attemptsQ = stepAttemptStatements(names);
  const messagesQ = messageStatements(names);
  const eventsQ = eventStatements(names);
  const streamsQ = streamStatements(names);
  const controlQ = controlStatements(names);
  const suspensionsQ = suspensionStatements(names);
  const createdBatchQ = createdBatchStatements(names);
  const subscriptions = new Set<() => Promise<void>>();
  let closed = false;

  const creates = createGroupCommit<NewWorkflow, CreateWorkflowResult | undefined>({
    flush: async (batch) =>
      batch.length === 1
        ? [await createOneWorkflow(db, oneRowQ, batch[0] as NewWorkflow)]
        : createWorkflows(db, workflowsQ, batch),
    key: (w) => w.workflowId,
    maxBatch: MAX_BATCH,
    retryAlone,
    gatherBurst: db.answersFromEventLoop,
  });
  const checkpoints = createGroupCommit<FencedStep, StepOutcome>({
    flush: (batch) => insertSteps(db, stepsQ, batch),
    key: ({ step }) => stepKey(step.workflowId, step.position),
    maxBatch: MAX_BATCH,
    retryAlone,
    gatherBurst: db.answersFromEventLoop,
  });
  const outcomes = createGroupCommit<FencedOutcome, FinishResult>({
    flush: async (batch) => {
      const [one] = batch;
      return batch.length === 1 && one
        ? [await finishOneWorkflow(db, oneRowQ, one.outcome, one.fence)]
        : finishWorkflows(db, workflowsQ, batch);
    },
    key: ({ outcome }) => outcome.workflowId,
    maxBatch: MAX_BATCH,
    retryAlone,
    gatherBurst: db.answersFromEventLoop,
  });

  const suspensions = createGroupCommit<FencedSuspension, SuspensionResult>({
    flush: (batch) => suspendWorkflows(db, suspensionsQ, batch),
    key: (s) => s.workflowId,
    maxBatch: MAX_BATCH,
    retryAlone,
  });

  const open = whileOpen(() => closed);

  const claim = (request: LaunchClaim): Promise<RecoveryResult> =>
    db.transaction(async (tx) => {
      const claimed = await claimWorkflows(tx, claimsQ, request);
      const unknown = await listUnknownWorkflows(tx, claimsQ, request);
      return { ...splitClaimed(claimed), unknown };
    });

  const takeOver = (request: TakeoverClaim): Promise<RecoveryResult> =>
    db.transaction(async (tx) => {
      const claimed = await takeOverWorkflows(tx, claimsQ, request);
      const unknown = await listTakeoverUnknown(tx, claimsQ, request);
      return { ...splitClaimed(claimed), unknown };
    });

  /** Throws `WorkflowOwnershipLostError` when a fenced write reports that it was not owned. */
  const owned = (workflowId: string, fence: Fence | undefined, ok: boolean): void => {
    if (!ok && fence) throw new WorkflowOwnershipLostError(workflowId, fence.executorId);
  };

  const finish = async (outcome: WorkflowOutcome, fence: Fence | undefined): Promise<boolean> => {
    const result = await outcomes.submit({ outcome, fence });
    owned(outcome.workflowId, fence, result !== "fenced");
    return result === "finished";
  };

  const record = async (step: StepRecord, fence: Fence | undefined): Promise<boolean> => {
    const outcome = await checkpoints.submit({ step, fence });
    owned(step.workflowId, fence, outcome !== "fenced");
    return outcome === "inserted";
  };

  const consume = async (
    topic: string,
    step: StepRecord,
    fence: Fence | undefined,
  ): Promise<StepRecord | undefined> => {
    const attempt = await consumeMessage(db, messagesQ, topic, step, fence);
    if ("fenced" in attempt) {
      owned(step.workflowId, fence, false);
      return undefined;
    }
    if (attempt.step || !attempt.raced) return attempt.step;
    // Another caller recorded this position after our snapshot; nothing was consumed.
    return getStep(db, messagesQ, step.workflowId, step.position);
  };

  const subscribe = async (listener: (notification: StoreNotification) => void) => {
    // postgres.js keeps the listener of a LISTEN that failed and sends it again on reconnect:
    // such a subscription, and one stopped, must deliver nothing. It cannot be removed (only a
    // LISTEN that succeeded hands back an unlisten), so each failure leaves one such listener.
    let live = true;
    const unlisten = await db
      .listen(names.channel, (payload) => {
        const notification = live ? parseNotification(payload) : undefined;
        if (notification) listener(notification);
      })
      .catch((error: unknown) => {
        live = false;
        throw error;
      });
    const stop = async (): Promise<void> => {
      live = false;
      if (!subscriptions.delete(stop)) return;
      await unlisten();
    };
    subscriptions.add(stop);
    return stop;
  };

  const store: PgStore = {
    schema: names.schema,
    connection: { db, names, exclusive, isClosed: () => closed },
    migrate: () => open("migrate", () => migrate(db, names)),
    createWorkflow: (workflow, options) =>
      open("createWorkflow", () =>
        untilSeen(`createWorkflow(${workflow.workflowId})`, () =>
          options?.tx === undefined
            ? creates.submit(workflow)
            : createWorkflows(callerTransaction(options.tx), workflowsQ, [workflow]).then(
                ([result]) => result,
              ),
        ),
      ),
    createWorkflows: (workflows, options) =>
      open("createWorkflows", () =>
        createMany(
          db,
          workflowsQ,
          workflows,
          options?.tx === undefined ? undefined : callerTransaction(options.tx),
        ),
      ),
    getWorkflow: (id) => open("getWorkflow", () => getWorkflow(db, workflowsQ, id)),
    listSteps: (id) => open("listSteps", () => listSteps(db, stepsQ, id)),
    listStepsOf: (ids) => open("listStepsOf", () => listStepsOf(db, stepsQ, ids)),
    recordStep: (step, fence) => open("recordStep", () => record(step, fence)),
    recordStepAttempt: (attempt, fence) =>
      open("recordStepAttempt", async () => {
        owned(attempt.workflowId, fence, await recordStepAttempt(db, attemptsQ, attempt, fence));
      }),
    listStepAttempts: (id) => open("listStepAttempts", () => listStepAttempts(db, attemptsQ, id)),
    finishWorkflow: (outcome, fence) => open("finishWorkflow", () => finish(outcome, fence)),
    claimRecoverable: (request) => open("claimRecoverable", () => claim(request)),
    sendMessage: (message, options) =>
      open("sendMessage", () =>
        sendMessage(
          options?.tx === undefined ? db : callerTransaction(options.tx),
          messagesQ,
          message,
        ),
      ),
    consumeMessage: (topic, step, fence) =>
      open("consumeMessage", () => consume(topic, step, fence)),
    setEvent: (event, step, fence) =>
      open("setEvent", async () => {
        owned(event.workflowId, fence, await setEvent(db, eventsQ, event, step, fence));
      }),
    getEvent: (workflowId, key) => open("getEvent", () => getEvent(db, eventsQ, workflowId, key)),
    writeStream: (entry, step, fence) =>
      open("writeStream", async () => {
        owned(entry.workflowId, fence, await writeStream(db, streamsQ, entry, step, fence));
      }),
    readStream: (workflowId, key, offset, limit) =>
      open("readStream", () => readStream(db, streamsQ, { workflowId, key }, offset, limit)),
    cancelWorkflow: (workflowId, { children }) =>
      open("cancelWorkflow", () => cancelWorkflows(db, controlQ, [workflowId], { children })),
    cancelWorkflows: (workflowIds, scope) =>
      open("cancelWorkflows", () => cancelWorkflows(db, controlQ, workflowIds, scope)),
    resumeWorkflow: (workflowId, executorId) =>
      open("resumeWorkflow", async () => {
        const [resumed] = await resumeWorkflows(db, controlQ, [workflowId], executorId);
        return resumed ?? getWorkflow(db, workflowsQ, workflowId);
      }),
    resumeWorkflows: (workflowIds, executorId) =>
      open("resumeWorkflows", () => resumeWorkflows(db, controlQ, workflowIds, executorId)),
    setAttributes: (workflowId, attributes, { merge }) =>
      open("setAttributes", () => setAttributes(db, controlQ, workflowId, attributes, merge)),
    forkWorkflow: (fork) =>
      open("forkWorkflow", async () => {
        const first = await forkWorkflow(db, controlQ, fork);
        if (!first.found) return undefined;
        return (
          first.result ??
          untilSeen(`forkWorkflow(${fork.newId})`, async () => {
            const again = await forkWorkflow(db, controlQ, fork);
            return again.found ? again.result : undefined;
          })
        );
      }),
    listWorkflows: ((filter: WorkflowFilter) =>
      open("listWorkflows", () =>
        listWorkflows(db, workflowsQ, filter),
      )) as WorkflowStore["listWorkflows"],
    heartbeat: (executor) => open("heartbeat", () => heartbeat(leaseDb, executorsQ, executor)),
    stopExecutor: (executorId) =>
      open("stopExecutor", () => stopExecutor(leaseDb, executorsQ, executorId)),
    listExecutors: (filter) => open("listExecutors", () => listExecutors(db, executorsQ, filter)),
    takeOver: (request) => open("takeOver", () => takeOver(request)),
    refundRecoveryAttempts: (executorId, claimed) =>
      open("refundRecoveryAttempts", () =>
        refundRecoveryAttempts(db, claimsQ, executorId, claimed),
      ),
    setAppVersion: (workflowIds, appVersion) =>
      open("setAppVersion", () => setAppVersion(db, workflowsQ, workflowIds, appVersion)),
    deleteWorkflows: (workflowIds, { children }) =>
      open("deleteWorkflows", () => deleteWorkflows(db, retentionQ, workflowIds, children)),
    deleteFinished: (finishedBefore, limit) =>
      open("deleteFinished", () => deleteFinished(db, retentionQ, finishedBefore, limit)),
    suspendWorkflow: (workflowId, wakeAt, fence, wakeOn = []) =>
      open("suspendWorkflow", async () => {
        const result = await suspensions.submit({ workflowId, wakeAt, fence, wakeOn });
        owned(workflowId, fence, result !== "fenced");
        return result === "suspended";
      }),
    claimDueWorkflows: (claim) =>
      open("claimDueWorkflows", () => claimDueWorkflows(db, suspensionsQ, claim)),
    listRunnable: (executorId, limit, after) =>
      open("listRunnable", () => listRunnable(db, suspensionsQ, executorId, limit, after)),
    listCreatedBatch: (executorId, createdAt, limit, afterId) =>
      open("listCreatedBatch", () =>
        listCreatedBatch(db, createdBatchQ, executorId, createdAt, limit, afterId),
      ),
    exclusive,
    subscribe: (listener) => open("subscribe", () => subscribe(listener)),
    async close() {
      if (closed) return;
      closed = true;
      // Bounded for an unreachable database: what cannot finish now fails when the client ends.
      await settledWithin(
        CLOSE_WAIT_MS,
        creates.idle(),
        checkpoints.idle(),
        outcomes.idle(),
        suspensions.idle(),
      );
      await settledWithin(CLOSE_WAIT_MS, ...[...subscriptions].map((stop) => stop()));
      // Both at once: each waits at most a second for busy connections (shutdown's margin).
      await Promise.all([leaseDb === db ? undefined : leaseDb.close(), db.close()]);
    },
  };
  return store;
}

/** Claimed rows, oldest first, split into those to run and those moved to `DEAD_LETTER`. */
function splitClaimed(claimed: WorkflowRecord[]): Omit<RecoveryResult, "unknown"> {
  claimed.sort((a, b) => a.createdAt - b.createdAt || (a.workflowId < b.workflowId ? -1 : 1));
  return {
    recovered: claimed.filter((w) => w.status === "PENDING"),
    deadLettered: claimed.filter((w) => w.status === "DEAD_LETTER"),
  };
}
