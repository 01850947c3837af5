/**
 * The messaging role of the store contract: messages between workflows, events (last write
 * wins), streams, and the change notifications waiters wake on. Where a write and the checkpoint
 * of the call that made it must not come apart — consuming a message, setting an event,
 * appending to a stream — the store does both in one transaction. The contract suite's
 * `messaging/` files test it.
 */
import type {
  CallerTransaction,
  Fence,
  SerializedValue,
  StepRecord,
  WorkflowStatus,
} from "./records.js";

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

/** An event value to set. */
export interface EventWrite {
  readonly workflowId: string;
  readonly key: string;
  readonly value: SerializedValue;
}

/** A stream entry to append; `value: undefined, closed: true` closes the stream. */
export interface StreamWrite {
  readonly workflowId: string;
  readonly key: string;
  readonly value: SerializedValue | undefined;
  readonly closed: boolean;
}

/** One entry of a workflow's stream, as readers see it. */
export interface StreamEntry {
  /** 0-based index in the stream. */
  readonly offset: number;
  /** The value written; `undefined` for the closing entry. */
  readonly value: SerializedValue | undefined;
  /** True for the entry written by `closeStream`; nothing follows it. */
  readonly closed: boolean;
}

/**
 * A change another party may be waiting for. Stores that can push these (Postgres LISTEN/NOTIFY,
 * PGlite in process, the memory store) let waiters wake at once; the engine polls as a fallback.
 */
export type StoreNotification =
  | { readonly kind: "message"; readonly workflowId: string; readonly topic: string }
  | { readonly kind: "event"; readonly workflowId: string; readonly key: string }
  | { readonly kind: "stream"; readonly workflowId: string; readonly key: string }
  /**
   * A suspended workflow became due because what it waits for arrived (decision 0014): its
   * executor `executorId` should claim its due suspensions now.
   */
  | { readonly kind: "wake"; readonly workflowId: string; readonly executorId: string }
  /** A workflow was created (by a client), cancelled, resumed, forked, timed out or finished. */
  | {
      readonly kind: "status";
      readonly workflowId: string;
      readonly status: WorkflowStatus;
      readonly executorId: string;
      /**
       * Set when it stands for every workflow one statement created for `executorId` (a bulk
       * start), all created at this time: `workflowId` is one of them. See `listCreatedBatch`.
       */
      readonly createdAt?: number;
    };

/** Messages, events, streams and notifications. */
export interface MessagingStore {
  /**
   * Stores a message for a workflow (notifying `message`). Idempotent on `messageId`. With
   * `options.tx`, inside the caller's transaction.
   */
  sendMessage(message: NewMessage, options?: CallerTransaction): Promise<SendResult>;

  /**
   * In ONE transaction: takes the oldest unconsumed message on `topic` for `step.workflowId`,
   * consumes it, and records `step` with the message as its output. Returns the recorded
   * checkpoint, or `undefined` (and writes nothing) if no message is waiting. If a checkpoint
   * already exists at `step.position`, returns it and consumes nothing. A message is consumed
   * by exactly one caller. Fenced (see {@link Fence}).
   */
  consumeMessage(topic: string, step: StepRecord, fence?: Fence): Promise<StepRecord | undefined>;

  /**
   * Sets an event's value, last write wins (notifying `event`). With `step`, records that
   * checkpoint in the same transaction (first write wins for the checkpoint; the value is set
   * either way). Fenced (see {@link Fence}); a fenced event write locks out a takeover until it
   * commits, so a late value never lands after the new owner's.
   */
  setEvent(event: EventWrite, step?: StepRecord, fence?: Fence): Promise<void>;

  /** An event's current value, or `undefined` if it was never set. */
  getEvent(workflowId: string, key: string): Promise<SerializedValue | undefined>;

  /**
   * Appends to a stream (notifying `stream`) and records `step` in the same transaction. The
   * entry is keyed by (workflowId, key, step.position): a replayed write appends nothing.
   * Fenced (see {@link Fence}).
   */
  writeStream(entry: StreamWrite, step: StepRecord, fence?: Fence): Promise<void>;

  /** Up to `limit` entries from `offset` on, in write order (ascending `step.position`). */
  readStream(
    workflowId: string,
    key: string,
    offset: number,
    limit: number,
  ): Promise<StreamEntry[]>;

  /**
   * Subscribes to change notifications, if this store can push them. Resolves once listening
   * (so nothing written after that is missed) with a function that unsubscribes.
   */
  subscribe?(listener: (notification: StoreNotification) => void): Promise<() => Promise<void>>;
}
