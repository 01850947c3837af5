/**
 * The records every role of the store contract speaks in: a workflow row, a checkpoint, the fence
 * that guards writes. Values cross the store boundary already serialized (`SerializedValue`):
 * encoding is core's job. Timestamps are milliseconds since the epoch. The roles themselves
 * (running, messaging, ownership, control, lifecycle) live beside this file.
 */
import type { WorkflowAttributes } from "../attributes.js";
import type { TraceCarrier } from "../trace-carrier.js";

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
   * Increases each time the workflow changes owner (recovery, takeover, resume). Writes carry
   * the epoch they were made under in a {@link Fence}; a stale one is fenced off.
   */
  readonly ownerEpoch: number;
  readonly createdAt: number;
  readonly updatedAt: number;
  /**
   * When the workflow last began to run (store clock, epoch ms): its creation for a workflow
   * started directly or forked, its claim for a queued one (`startedAt - createdAt` is its wait
   * in the queue), its resume for a resumed one. `undefined` while `ENQUEUED`, and for a queued
   * workflow cancelled before it ran.
   */
  readonly startedAt?: number | undefined;
  /**
   * When the workflow reached `SUCCESS`, `ERROR`, `CANCELLED` or `DEAD_LETTER` (store clock);
   * `undefined` while it is unfinished. `completedAt - startedAt` is its run time.
   */
  readonly completedAt?: number | undefined;
  /** For a queued workflow: its priority in the queue (lower runs first), as it stands now. */
  readonly priority?: number | undefined;
  /** For a queued workflow: the deduplication ID it was enqueued with, if any. */
  readonly dedupId?: string | undefined;
  /** For a workflow enqueued on a partitioned queue: its partition key. */
  readonly partitionKey?: string | undefined;
  /** The attributes it was started with or given since; `undefined` for none. */
  readonly attributes?: WorkflowAttributes | undefined;
  /**
   * The trace context stored at creation (`NewWorkflow.traceContext`), returned as written;
   * `undefined` when none was. Every run of the workflow, in any process, continues it.
   */
  readonly traceContext?: TraceCarrier | undefined;
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
 * A step's failed attempt that will be retried: written when an attempt fails and another one
 * follows, so a crash between attempts resumes at the next attempt number and waits only the
 * rest of its backoff. Moot once a checkpoint holds the position. Never written when the first
 * attempt succeeds.
 */
export interface StepAttempt {
  readonly workflowId: string;
  /** The step's position in the workflow. (workflowId, position) is unique. */
  readonly position: number;
  /** The step's name; a resumed run ignores the attempt when its step at `position` differs. */
  readonly name: string;
  /** How many attempts have failed so far (the next one is `attempts + 1`). */
  readonly attempts: number;
  /** When the next attempt is due (engine clock, epoch ms). */
  readonly nextAttemptAt: number;
}

/**
 * Who may write a workflow: its owner, at the epoch it took ownership. Every write an engine
 * makes for a running workflow takes one as its last argument. A write carrying a fence that no
 * longer matches the workflow's `executorId` and `ownerEpoch` is rejected with
 * `WorkflowOwnershipLostError` and changes nothing. Without a fence, a write is not guarded.
 */
export interface Fence {
  readonly executorId: string;
  readonly epoch: number;
}

/**
 * Options of the writes a caller may make inside their own database transaction (the
 * transactional outbox: `engine.start(…, { tx })`, `send(…, { tx })`, `enqueue(…, { tx })`).
 */
export interface CallerTransaction {
  /**
   * The caller's open transaction on the store's own database — postgres.js's `TransactionSql`
   * or PGlite's `Transaction`. The write runs inside it, so it exists if and only if the caller
   * commits, and its notification goes out at that commit. A store that cannot write into it
   * (the memory store; a handle of another driver) throws `InvalidOptionError` and writes nothing.
   */
  readonly tx?: unknown;
}
