/**
 * The persistence contract between the engine and a checkpoint store.
 *
 * Core declares it; `@cairn/pg-store` (Postgres, PGlite) and the in-memory store from
 * `@cairn/core/testing` implement it, and every implementation proves itself with
 * `describeStoreContract`. Each method is one atomic transition and, on a SQL store, one round
 * trip. Values cross this boundary already serialized (`SerializedValue`): encoding is core's job.
 * Timestamps are milliseconds since the epoch.
 */

/** A value encoded by core's serializer. Stores keep it byte-for-byte (Postgres: a `text` column). */
export type SerializedValue = string;

/**
 * Where a workflow is in its life.
 * - `ENQUEUED`: waiting in a queue (`@cairn/queue`); no executor runs it yet.
 * - `PENDING`: started and not finished; recovered after a crash.
 * - `SUCCESS` / `ERROR`: finished with an output or an error.
 * - `CANCELLED`: stopped on request.
 * - `DEAD_LETTER`: crashed its process more than `maxRecoveryAttempts` times without progress;
 *   it is no longer recovered automatically.
 */
export type WorkflowStatus =
  "ENQUEUED" | "PENDING" | "SUCCESS" | "ERROR" | "CANCELLED" | "DEAD_LETTER";

/** One workflow as the store holds it. */
export interface WorkflowRecord {
  readonly workflowId: string;
  readonly name: string;
  readonly status: WorkflowStatus;
  readonly input: SerializedValue;
  /** Set when `status` is `SUCCESS`. */
  readonly output: SerializedValue | undefined;
  /** Set when `status` is `ERROR` (also `DEAD_LETTER`, `CANCELLED` when a reason was recorded). */
  readonly error: SerializedValue | undefined;
  /** The engine that owns (runs, or last ran) the workflow. */
  readonly executorId: string;
  readonly parentWorkflowId: string | undefined;
  /** How many times recovery has restarted this workflow since it last made progress. */
  readonly recoveryAttempts: number;
  /** Epoch ms past which the workflow is cancelled; `undefined` for none. */
  readonly deadlineAt: number | undefined;
  /** For a fork: the workflow it was forked from. */
  readonly forkedFrom: string | undefined;
  /** The queue it was enqueued on, if any. */
  readonly queueName: string | undefined;
  /** The application version it runs on; `undefined`: any version may run it. */
  readonly appVersion: string | undefined;
  /**
   * Increases each time the workflow changes owner (recovery, takeover, resume). Checkpoint
   * writes carry the epoch they were made under; a stale one is fenced off.
   */
  readonly ownerEpoch: number;
  readonly createdAt: number;
  readonly updatedAt: number;
}

/** What the engine writes to start a workflow. The store sets status `PENDING` and timestamps. */
export interface NewWorkflow {
  readonly workflowId: string;
  readonly name: string;
  readonly input: SerializedValue;
  readonly executorId: string;
  readonly parentWorkflowId?: string | undefined;
  /** The application version it must run on; `undefined`: any. */
  readonly appVersion?: string | undefined;
  /** `ENQUEUED` to create it waiting in queue `queueName` (a queue store's job). Default `PENDING`. */
  readonly status?: "PENDING" | "ENQUEUED" | undefined;
  readonly queueName?: string | undefined;
  /** Epoch ms past which the workflow is cancelled. */
  readonly deadlineAt?: number | undefined;
  /**
   * Notify `status` when created, so the owning engine picks the workflow up at once. Clients
   * set it; an engine starting its own workflow does not (it runs it directly).
   */
  readonly notify?: boolean | undefined;
}

/** What the store answers to `createWorkflow`. `created: false` means the ID was taken. */
export interface CreateWorkflowResult {
  readonly created: boolean;
  /** The new row, or the existing one untouched when `created` is false. */
  readonly workflow: WorkflowRecord;
}

/**
 * One checkpoint: the recorded outcome of the durable operation at `position` in a workflow.
 * Steps, sleeps, `ctx.now()`, child starts... each take one position, in call order.
 */
export interface StepRecord {
  readonly workflowId: string;
  /** 0-based call order within the workflow. (workflowId, position) is unique. */
  readonly position: number;
  /** The step's name, or an internal name such as `cairn.sleep`; replay compares it. */
  readonly name: string;
  /** Exactly one of `output` and `error` is set. */
  readonly output: SerializedValue | undefined;
  readonly error: SerializedValue | undefined;
  /** For a child-workflow start: the child's workflow ID. */
  readonly childWorkflowId: string | undefined;
  /** How many attempts the step took (1 for internal operations). */
  readonly attempts: number;
  readonly startedAt: number;
  readonly completedAt: number;
}

/**
 * Who may write a workflow's checkpoints: its owner, at the epoch it took ownership. A write
 * carrying a fence that no longer matches the workflow's `executorId` and `ownerEpoch` is
 * rejected with `WorkflowOwnershipLostError` and changes nothing.
 */
export interface Fence {
  readonly executorId: string;
  readonly epoch: number;
}

/** An engine's liveness record. */
export interface ExecutorRecord {
  readonly executorId: string;
  readonly appVersion: string | undefined;
  /** `alive` while heartbeating within its lease; `stopped` after a clean shutdown. */
  readonly status: "alive" | "stopped";
  /** When it last heartbeated (store clock). */
  readonly heartbeatAt: number;
  readonly leaseMs: number;
  /** True when `heartbeatAt + leaseMs` has passed (store clock) or it stopped: others take over. */
  readonly expired: boolean;
}

/** What the engine writes when a workflow finishes. */
export interface WorkflowOutcome {
  readonly workflowId: string;
  readonly executorId: string;
  readonly status: "SUCCESS" | "ERROR";
  readonly output?: SerializedValue | undefined;
  readonly error?: SerializedValue | undefined;
  /** When set, the outcome is written only if the workflow is still owned at this epoch. */
  readonly epoch?: number | undefined;
}

/** What launch-time recovery asks of the store. */
export interface RecoveryClaim {
  /** Only workflows owned by this executor are recovered. */
  readonly executorId: string;
  /** Only workflows with one of these names are claimed; others are reported as `unknown`. */
  readonly names: readonly string[];
  /**
   * A claimed workflow whose recovery attempts (after this claim) exceed its limit moves to
   * `DEAD_LETTER` instead of being returned for running. Keyed by workflow name.
   */
  readonly maxRecoveryAttempts: Readonly<Record<string, number>>;
  /**
   * Version rule: only workflows whose `appVersion` equals this, is `undefined`, or is a version
   * no alive executor runs (orphaned by a deploy) are claimed. Unset: any version.
   */
  readonly appVersion?: string | undefined;
}

/** What a takeover claims: workflows of executors whose lease expired or that stopped. */
export interface TakeoverClaim extends RecoveryClaim {
  /** At most this many workflows per call. */
  readonly limit: number;
  /**
   * Treat every other executor as gone, whatever its heartbeat: for stores only one process can
   * open (`exclusive`), at launch.
   */
  readonly ignoreLeases?: boolean;
}

/** What launch-time recovery gets back. */
export interface RecoveryResult {
  /** PENDING workflows to run again, with `recoveryAttempts` already incremented. */
  readonly recovered: readonly WorkflowRecord[];
  /** Workflows moved to `DEAD_LETTER` by this claim. */
  readonly deadLettered: readonly WorkflowRecord[];
  /** PENDING workflows of this executor whose name is not in `names`; left untouched. */
  readonly unknown: readonly { readonly workflowId: string; readonly name: string }[];
}

/** A message on its way to a workflow. */
export interface NewMessage {
  readonly destinationId: string;
  readonly topic: string;
  readonly message: SerializedValue;
  /**
   * Unique per message: sending the same ID twice stores it once. The engine derives it from the
   * sender's workflow ID and position (so replay never sends twice) or from the caller's
   * idempotency key; otherwise a random UUID.
   */
  readonly messageId: string;
}

/** What `sendMessage` did. */
export type SendResult = "sent" | "duplicate" | "workflow-not-found";

/** One entry of a workflow's stream, as readers see it. */
export interface StreamEntry {
  /** 0-based index in the stream. */
  readonly offset: number;
  /** The value written; `undefined` for the closing entry. */
  readonly value: SerializedValue | undefined;
  /** True for the entry written by `closeStream`; nothing follows it. */
  readonly closed: boolean;
}

/** Filters of `listWorkflows`. Every field is optional; they combine with AND. */
export interface WorkflowFilter {
  readonly status?: WorkflowStatus | readonly WorkflowStatus[];
  readonly name?: string;
  readonly executorId?: string;
  readonly parentWorkflowId?: string;
  readonly workflowIds?: readonly string[];
  /** Created at or after this epoch ms. */
  readonly createdAfter?: number;
  /** Created strictly before this epoch ms. */
  readonly createdBefore?: number;
  readonly appVersion?: string;
  readonly queueName?: string;
  /** Default 100. */
  readonly limit?: number;
  readonly offset?: number;
  /** By `createdAt` (then `workflowId`). Default `"asc"`. */
  readonly order?: "asc" | "desc";
}

/**
 * A change another party may be waiting for. Stores that can push these (Postgres LISTEN/NOTIFY,
 * PGlite in process, the memory store) let waiters wake at once; the engine polls as a fallback.
 */
export type StoreNotification =
  | { readonly kind: "message"; readonly workflowId: string; readonly topic: string }
  | { readonly kind: "event"; readonly workflowId: string; readonly key: string }
  | { readonly kind: "stream"; readonly workflowId: string; readonly key: string }
  /** A workflow was created (by a client), cancelled, resumed, forked or timed out. */
  | {
      readonly kind: "status";
      readonly workflowId: string;
      readonly status: WorkflowStatus;
      readonly executorId: string;
    };

/** What the engine needs from persistence. */
export interface WorkflowStore {
  /** Creates or upgrades the store's schema. Safe to call from many processes at once. */
  migrate(): Promise<void>;

  /**
   * Inserts a `PENDING` workflow, or returns the existing row if `workflowId` is taken (whatever
   * its name or status). Never overwrites. One round trip.
   */
  createWorkflow(workflow: NewWorkflow): Promise<CreateWorkflowResult>;

  /** The workflow with this ID, or `undefined`. */
  getWorkflow(workflowId: string): Promise<WorkflowRecord | undefined>;

  /** Every checkpoint of the workflow, ordered by position. Read only when replaying. */
  listSteps(workflowId: string): Promise<StepRecord[]>;

  /**
   * Records a checkpoint. First write wins: returns `true` if this call stored it, `false` if a
   * checkpoint already existed at (workflowId, position), which is left unchanged. One write and
   * no read on the happy path; a store may batch concurrent calls into one statement, but must
   * not resolve before the checkpoint is durable. With a `fence` that no longer matches, rejects
   * with `WorkflowOwnershipLostError` and writes nothing (the same for every fenced write below).
   */
  recordStep(step: StepRecord, fence?: Fence): Promise<boolean>;

  /**
   * Records the final outcome of a `PENDING` workflow, and `executorId` as the executor that
   * finished it. Returns `false` (and changes nothing) if the workflow is not `PENDING` any more.
   * One write.
   */
  finishWorkflow(outcome: WorkflowOutcome): Promise<boolean>;

  /**
   * At launch: claims this executor's `PENDING` workflows for re-execution. Each claimed row's
   * `recoveryAttempts` is incremented, or reset to 1 if the workflow recorded new checkpoints
   * since its previous recovery (it made progress, so it is not crash-looping), and `ownerEpoch`
   * is incremented (fencing off any older execution). A row whose new
   * count exceeds its limit moves to `DEAD_LETTER` instead (no error value is written: the engine
   * reports dead letters from the status and attempt count). All in one transaction.
   */
  claimRecoverable(claim: RecoveryClaim): Promise<RecoveryResult>;

  // ---- Messages, events and streams -------------------------------------------------------

  /** Stores a message for a workflow (notifying `message`). Idempotent on `messageId`. */
  sendMessage(message: NewMessage): Promise<SendResult>;

  /**
   * In ONE transaction: takes the oldest unconsumed message on `topic` for `step.workflowId`,
   * consumes it, and records `step` with the message as its output. Returns the recorded
   * checkpoint, or `undefined` (and writes nothing) if no message is waiting. If a checkpoint
   * already exists at `step.position`, returns it and consumes nothing. A message is consumed
   * by exactly one caller.
   */
  consumeMessage(topic: string, step: StepRecord, fence?: Fence): Promise<StepRecord | undefined>;

  /**
   * Sets an event's value, last write wins (notifying `event`). With `step`, records that
   * checkpoint in the same transaction (first write wins for the checkpoint; the value is set
   * either way).
   */
  setEvent(
    workflowId: string,
    key: string,
    value: SerializedValue,
    step?: StepRecord,
    fence?: Fence,
  ): Promise<void>;

  /** An event's current value, or `undefined` if it was never set. */
  getEvent(workflowId: string, key: string): Promise<SerializedValue | undefined>;

  /**
   * Appends to a stream (notifying `stream`) and records `step` in the same transaction. The
   * entry is keyed by (workflowId, key, step.position): a replayed write appends nothing.
   * `value: undefined, closed: true` closes the stream.
   */
  writeStream(
    entry: {
      readonly workflowId: string;
      readonly key: string;
      readonly value: SerializedValue | undefined;
      readonly closed: boolean;
    },
    step: StepRecord,
    fence?: Fence,
  ): Promise<void>;

  /** Up to `limit` entries from `offset` on, in write order (ascending `step.position`). */
  readStream(
    workflowId: string,
    key: string,
    offset: number,
    limit: number,
  ): Promise<StreamEntry[]>;

  // ---- Control ------------------------------------------------------------------------------

  /**
   * Moves `PENDING` or `ENQUEUED` workflows to `CANCELLED` (notifying `status` for each): this
   * one, and with `children`, every such descendant (also below a finished child, and even when this one
   * is finished). Returns the IDs it cancelled; `[]` for an unknown workflow.
   */
  cancelWorkflow(workflowId: string, options: { readonly children: boolean }): Promise<string[]>;

  /**
   * Makes a `CANCELLED`, `ERROR` or `DEAD_LETTER` workflow `PENDING` again, owned by
   * `executorId` (with `ownerEpoch` incremented), its outcome cleared, recovery attempts at 0
   * and `deadlineAt` cleared (a
   * timed-out workflow could not run otherwise) (notifying `status`).
   * Checkpoints that recorded errors at the end of its history (after its last successful
   * checkpoint) are deleted so those steps run again. Returns the updated row; `undefined` if no such workflow. A `PENDING` or `SUCCESS`
   * workflow is returned unchanged.
   */
  resumeWorkflow(workflowId: string, executorId: string): Promise<WorkflowRecord | undefined>;

  /**
   * Creates workflow `newId` with the name and input of `sourceId` and copies of its checkpoints
   * at positions below `fromPosition` (notifying `status`). One transaction. The fork is a
   * top-level workflow: no parent, no deadline, `forkedFrom: sourceId`.
   * Returns `created: false` with the existing row if `newId` is taken;
   * `undefined` if `sourceId` does not exist.
   */
  forkWorkflow(fork: {
    readonly sourceId: string;
    readonly newId: string;
    readonly fromPosition: number;
    readonly executorId: string;
  }): Promise<CreateWorkflowResult | undefined>;

  // ---- Inspection and wake-ups --------------------------------------------------------------

  /** Workflows matching `filter`. */
  listWorkflows(filter: WorkflowFilter): Promise<WorkflowRecord[]>;

  // ---- Executors, ownership, versions, retention ---------------------------------------------

  /** Records that an executor is alive (store clock), creating its row on first call. */
  heartbeat(executor: {
    readonly executorId: string;
    readonly appVersion: string | undefined;
    readonly leaseMs: number;
  }): Promise<void>;

  /** Marks an executor stopped (clean shutdown): others may take its workflows at once. */
  stopExecutor(executorId: string): Promise<void>;

  /** Every executor that ever heartbeated. */
  listExecutors(): Promise<ExecutorRecord[]>;

  /**
   * Claims up to `limit` PENDING workflows owned by OTHER executors that are expired or stopped
   * (or absent from the executors table), moving them to `claim.executorId` with `ownerEpoch`
   * incremented, recovery attempts counted as in `claimRecoverable` (dead letters included).
   * Version rule: a workflow is claimed if its `appVersion` equals `claim.appVersion`, is
   * `undefined`, or is a version no alive executor runs. Each workflow is claimed by exactly one
   * caller, also when several call at once. Workflows it would claim but for their name are
   * reported in `unknown`, untouched. A store that also keeps queue items (`@cairn/queue`) leaves
   * workflows that hold one to the queue, which puts them back itself (so per-process queue
   * limits hold). One transaction.
   */
  takeOver(claim: TakeoverClaim): Promise<RecoveryResult>;

  /** Moves PENDING workflows to another application version; returns the IDs moved. */
  setAppVersion(workflowIds: readonly string[], appVersion: string): Promise<string[]>;

  /**
   * Deletes up to `limit` workflows that finished (`SUCCESS`, `ERROR`, `CANCELLED`) before
   * `finishedBefore` (epoch ms, by `updatedAt`), with their steps, messages, events and streams.
   * Returns how many workflows it deleted.
   */
  deleteFinished(finishedBefore: number, limit: number): Promise<number>;

  /**
   * Subscribes to change notifications, if this store can push them. Resolves once listening
   * (so nothing written after that is missed) with a function that unsubscribes.
   */
  subscribe?(listener: (notification: StoreNotification) => void): Promise<() => Promise<void>>;

  /**
   * True when only one process can open this store at a time (PGlite's locked data directory,
   * the memory store): every other executor in it is gone, so launch takes over their work at
   * once instead of waiting for leases to expire.
   */
  readonly exclusive?: boolean;

  /** Releases connections and files. Calls after `close()` reject. */
  close(): Promise<void>;
}
