/**
 * The `WorkflowStore` on SQL, shared by the Postgres and PGlite entry points: it owns the
 * "store is closed" rule, group commit for creates, checkpoints and outcomes, the retry of the
 * rare races where a row commits after a statement's snapshot, the recovery transaction, and
 * the subscriptions to the schema's notification channel. Statements live in `queries/`,
 * drivers behind `SqlExecutor`; this module only decides what runs when.
 */
import type {
  CreateWorkflowResult,
  NewWorkflow,
  RecoveryClaim,
  RecoveryResult,
  StepRecord,
  StoreNotification,
  WorkflowOutcome,
  WorkflowStore,
} from "@cairn/core";
import { StoreClosedError } from "./errors.js";
import type { SqlExecutor } from "./executors/sql-executor.js";
import { createGroupCommit } from "./group-commit.js";
import { migrate } from "./migrate.js";
import { eventStatements, getEvent, setEvent } from "./queries/events.js";
import { consumeMessage, getStep, messageStatements, sendMessage } from "./queries/messages.js";
import { parseNotification } from "./queries/notify.js";
import { insertSteps, listSteps, stepKey, stepStatements } from "./queries/steps.js";
import { readStream, streamStatements, writeStream } from "./queries/streams.js";
import {
  cancelWorkflows,
  controlStatements,
  forkWorkflow,
  resumeWorkflow,
} from "./queries/workflow-control.js";
import {
  claimWorkflows,
  createWorkflows,
  finishWorkflows,
  getWorkflow,
  listUnknownWorkflows,
  listWorkflows,
  workflowStatements,
} from "./queries/workflows.js";
import type { SchemaNames } from "./schema-names.js";

/** A `WorkflowStore` on Postgres or PGlite. */
export interface PgStore extends WorkflowStore {
  /** The schema holding the store's tables, e.g. `cairn`. */
  readonly schema: string;
  subscribe(listener: (notification: StoreNotification) => void): Promise<() => Promise<void>>;
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

/** Tries of a statement that can lose a race to a row committed after its snapshot. */
const RACE_TRIES = 3;

/** Builds the store over a driver; the caller has validated the schema name. */
export function createSqlStore({ db, names, retryAlone }: SqlStoreOptions): PgStore {
  const workflowsQ = workflowStatements(names);
  const stepsQ = stepStatements(names);
  const messagesQ = messageStatements(names);
  const eventsQ = eventStatements(names);
  const streamsQ = streamStatements(names);
  const controlQ = controlStatements(names);
  const subscriptions = new Set<() => Promise<void>>();
  let closed = false;

  const creates = createGroupCommit<NewWorkflow, CreateWorkflowResult | undefined>({
    flush: (batch) => createWorkflows(db, workflowsQ, batch),
    key: (w) => w.workflowId,
    maxBatch: MAX_BATCH,
    retryAlone,
  });
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

  /** Runs `attempt` until it answers; `undefined` means a row committed after its snapshot. */
  const untilSeen = async <T>(what: string, attempt: () => Promise<T | undefined>): Promise<T> => {
    for (let i = 0; i < RACE_TRIES; i++) {
      const result = await attempt();
      if (result !== undefined) return result;
    }
    throw new Error(`${what}: a concurrent write kept hiding the row; try again`);
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

  const consume = async (topic: string, step: StepRecord): Promise<StepRecord | undefined> => {
    const attempt = await consumeMessage(db, messagesQ, topic, step);
    if (attempt.step || !attempt.raced) return attempt.step;
    // Another caller recorded this position after our snapshot; nothing was consumed.
    return getStep(db, messagesQ, step.workflowId, step.position);
  };

  const subscribe = async (listener: (notification: StoreNotification) => void) => {
    const unlisten = await db.listen(names.channel, (payload) => {
      const notification = parseNotification(payload);
      if (notification) listener(notification);
    });
    const stop = async (): Promise<void> => {
      if (!subscriptions.delete(stop)) return;
      await unlisten();
    };
    subscriptions.add(stop);
    return stop;
  };

  return {
    schema: names.schema,
    migrate: () => open("migrate", () => migrate(db, names)),
    createWorkflow: (workflow) =>
      open("createWorkflow", () =>
        untilSeen(`createWorkflow(${workflow.workflowId})`, () => creates.submit(workflow)),
      ),
    getWorkflow: (id) => open("getWorkflow", () => getWorkflow(db, workflowsQ, id)),
    listSteps: (id) => open("listSteps", () => listSteps(db, stepsQ, id)),
    recordStep: (step) => open("recordStep", () => checkpoints.submit(step)),
    finishWorkflow: (outcome) => open("finishWorkflow", () => outcomes.submit(outcome)),
    claimRecoverable: (request) => open("claimRecoverable", () => claim(request)),
    sendMessage: (message) => open("sendMessage", () => sendMessage(db, messagesQ, message)),
    consumeMessage: (topic, step) => open("consumeMessage", () => consume(topic, step)),
    setEvent: (workflowId, key, value, step) =>
      open("setEvent", () => setEvent(db, eventsQ, { workflowId, key, value }, step)),
    getEvent: (workflowId, key) => open("getEvent", () => getEvent(db, eventsQ, workflowId, key)),
    writeStream: (entry, step) => open("writeStream", () => writeStream(db, streamsQ, entry, step)),
    readStream: (workflowId, key, offset, limit) =>
      open("readStream", () => readStream(db, streamsQ, { workflowId, key }, offset, limit)),
    cancelWorkflow: (workflowId, { children }) =>
      open("cancelWorkflow", () => cancelWorkflows(db, controlQ, workflowId, children)),
    resumeWorkflow: (workflowId, executorId) =>
      open("resumeWorkflow", async () => {
        const resumed = await resumeWorkflow(db, controlQ, workflowId, executorId);
        return resumed ?? getWorkflow(db, workflowsQ, workflowId);
      }),
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
    listWorkflows: (filter) => open("listWorkflows", () => listWorkflows(db, workflowsQ, filter)),
    subscribe: (listener) => open("subscribe", () => subscribe(listener)),
    async close() {
      if (closed) return;
      closed = true;
      await Promise.all([creates.idle(), checkpoints.idle(), outcomes.idle()]);
      await Promise.all([...subscriptions].map((stop) => stop()));
      await db.close();
    },
  };
}
