/**
 * What a caller holds on a started workflow: its ID, its status, a promise of its result, and —
 * typed by the workflow's declared channels — sending it messages and reading its events and
 * streams.
 */
import type { WorkflowAttributes } from "./attributes.js";
import type { ChannelInput, ChannelName, ChannelOutput, ChannelSchemas } from "./channels.js";
import type { WaitForOptions, WaitOptions } from "./wait-options.js";
import type { WorkflowStatus } from "./store/records.js";

/** A snapshot of a workflow's state. */
export interface WorkflowStatusInfo {
  readonly workflowId: string;
  readonly name: string;
  readonly status: WorkflowStatus;
  /** The executor that owns the workflow. */
  readonly executorId: string;
  readonly parentWorkflowId: string | undefined;
  /** Recoveries since the workflow last made progress (see `maxRecoveryAttempts`). */
  readonly recoveryAttempts: number;
  /** When the workflow is cancelled if still running; `undefined` for no timeout. */
  readonly deadlineAt: Date | undefined;
  /** For a fork: the workflow it was forked from. */
  readonly forkedFrom: string | undefined;
  /** The queue it was enqueued on, if any. */
  readonly queueName: string | undefined;
  /** The application version it runs on; `undefined`: any. */
  readonly appVersion: string | undefined;
  readonly createdAt: Date;
  readonly updatedAt: Date;
  /**
   * When it last began to run: its start (or fork), its claim from a queue, its resume;
   * `undefined` while it waits in a queue. `startedAt - createdAt` is a queued workflow's wait.
   */
  readonly startedAt: Date | undefined;
  /** When it finished (any final status); `completedAt - startedAt` is its run time. */
  readonly completedAt: Date | undefined;
  /** For a queued workflow: its priority (lower runs first). */
  readonly priority: number | undefined;
  /** For a queued workflow: the deduplication ID it was enqueued with. */
  readonly dedupId: string | undefined;
  /** For a workflow on a partitioned queue: its partition key. */
  readonly partitionKey: string | undefined;
  /** Its attributes (given at start or enqueue, or set since); `undefined` for none. */
  readonly attributes: WorkflowAttributes | undefined;
}

/** Options of `handle.send` / `engine.send`. */
export interface SendOptions {
  /** Sending twice with the same key (to the same workflow) delivers the message once. */
  readonly idempotencyKey?: string;
  /**
   * Send inside your own open transaction on the store's database (postgres.js
   * `TransactionSql`, PGlite `Transaction`): the message exists if and only if that transaction
   * commits, and the receiver wakes at the commit. See docs/outbox.md.
   */
  readonly tx?: unknown;
}

/** Options of stream reads. */
export interface ReadStreamOptions {
  /** Start after this many entries (resume where a previous reader stopped). Default 0. */
  readonly offset?: number;
}

/** A started (or retrieved) workflow. `C` are its declared channels, if known. */
export interface WorkflowHandle<Out, C extends ChannelSchemas = ChannelSchemas> {
  readonly workflowId: string;
  /**
   * Waits for the workflow to finish and returns its output, or throws its error.
   * @throws WorkflowNotFoundError when no workflow has this ID.
   * @throws WorkflowCancelledError when it was cancelled.
   * @throws WorkflowDeadLetteredError when it was moved to `DEAD_LETTER`.
   * @throws WorkflowInterruptedError when this engine stopped running it (it resumes later).
   * @throws ResultTimeoutError when `timeoutMs` passed first (the workflow keeps running).
   * @example
   * try { return reply(200, await handle.result({ timeoutMs: "25s" })); }
   * catch (e) { if (ResultTimeoutError.is(e)) return reply(202, { id: handle.workflowId }); throw e; }
   */
  result(options?: WaitForOptions): Promise<Out>;
  /**
   * The workflow's current state.
   * @throws WorkflowNotFoundError when no workflow has this ID.
   */
  status(): Promise<WorkflowStatusInfo>;
  /**
   * Sends the workflow a message on `topic`, validated against its declared schema.
   * @throws ValidationError when the message does not match (nothing is stored).
   * @throws WorkflowNotFoundError when no workflow has this ID.
   */
  send<T extends ChannelName<C, "messages">>(
    topic: T,
    message: ChannelInput<C, "messages", T>,
    options?: SendOptions,
  ): Promise<void>;
  /** The workflow's event `key`, waiting up to `timeoutMs` (default: don't wait) for it to be set. */
  getEvent<K extends ChannelName<C, "events">>(
    key: K,
    options?: WaitOptions,
  ): Promise<ChannelOutput<C, "events", K> | undefined>;
  /**
   * The values of the workflow's stream `key`, as they are written. Ends when the stream is
   * closed or the workflow finishes.
   */
  readStream<K extends ChannelName<C, "streams">>(
    key: K,
    options?: ReadStreamOptions,
  ): AsyncIterableIterator<ChannelOutput<C, "streams", K>>;
}
