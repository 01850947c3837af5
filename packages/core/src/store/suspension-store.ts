/**
 * The suspension role of the store contract: a workflow waiting longer than the engine's
 * threshold leaves memory, and the store keeps when it is due (decision 0014). A suspension is
 * written under the run's fence and counts only while the workflow keeps that owner and epoch:
 * a recovery, takeover or resume voids it, and the new owner's replay suspends it again. A
 * suspension may also wait for arrivals (`WakeOn`: a message, an event, a workflow finishing):
 * the store checks them when it writes the suspension, and the write that makes one arrive makes
 * the suspension due at once, so no arrival between the check and the write is missed. The
 * contract suite's `suspension/` files test it.
 */
import type { Fence, StepRecord, WorkflowRecord } from "./records.js";
import type { WorkflowCursor } from "./running-store.js";

/** An arrival a suspended workflow waits for, besides (or instead of) its due time. */
export type WakeOn =
  /** A message for the suspended workflow itself on `topic` (one not yet consumed). */
  | { readonly kind: "message"; readonly workflowId: string; readonly topic: string }
  /** Event `key` of workflow `workflowId` set. */
  | { readonly kind: "event"; readonly workflowId: string; readonly key: string }
  /** Workflow `workflowId` finished (any final status). */
  | { readonly kind: "status"; readonly workflowId: string };

/**
 * The key of an arrival, as stores index it and as waiters watch it (`wakeups.ts` uses the same
 * keys for notifications). Two arrivals never share a key unless IDs contain `:`; then a wake-up
 * may be spurious, never missed.
 */
export function wakeKeyOf(on: WakeOn): string {
  switch (on.kind) {
    case "message":
      return `message:${on.workflowId}:${on.topic}`;
    case "event":
      return `event:${on.workflowId}:${on.key}`;
    case "status":
      return `status:${on.workflowId}`;
  }
}

/** What an engine asks for when its timer or poll fires. */
export interface DueClaim {
  /** Only this executor's suspensions are claimed. */
  readonly executorId: string;
  /** Suspensions due at or before this time (epoch ms, the engine's clock) are claimed. */
  readonly now: number;
  /** At most this many are claimed. */
  readonly limit: number;
}

/** What a due claim handed back. */
export interface DueWorkflows {
  /** The PENDING workflows whose suspension was due; no longer suspended, to run now. */
  readonly workflows: readonly WorkflowRecord[];
  /** The earliest due time among this executor's suspensions still in force; none: `undefined`. */
  readonly nextWakeAt: number | undefined;
}

/** What a waiting workflow's suspension needs from the store. */
export interface SuspensionStore {
  /**
   * Marks PENDING workflow `workflowId` as suspended until `wakeAt` (epoch ms; `undefined`: no
   * due time) or until one of `wakeOn` arrives, under `fence`. A later suspension replaces an
   * earlier one. When one of `wakeOn` has arrived already, nothing is written and the answer is
   * `false`; else `true`. The end of a workflow the store does not have counts as arrived: the
   * waits read again, and wait in memory for a workflow that does not exist yet. From then until the suspension ends, each write that makes one of
   * `wakeOn` arrive (a message sent, an event set, the workflow finishing) makes it due at once,
   * and tells its executor with a `wake` notification.
   * @throws WorkflowOwnershipLostError when the fence is stale or the workflow is not PENDING;
   *   nothing is written.
   */
  suspendWorkflow(
    workflowId: string,
    wakeAt: number | undefined,
    fence: Fence,
    wakeOn?: readonly WakeOn[],
  ): Promise<boolean>;
  /**
   * Ends the suspensions of `claim.executorId` due by `claim.now`, earliest first, and returns
   * their workflows and the next due time. Each suspension is handed out once.
   */
  claimDueWorkflows(claim: DueClaim): Promise<DueWorkflows>;
  /**
   * PENDING workflows owned by `executorId` that are not suspended, oldest first (by `createdAt`,
   * then `workflowId`): what an engine's poll may pick up. With `after`, only those that come
   * after it in that order, so a poll can page past the workflows it is already running.
   */
  listRunnable(
    executorId: string,
    limit: number,
    after?: WorkflowCursor,
  ): Promise<WorkflowRecord[]>;
  /**
   * The workflows of {@link listRunnable} created exactly at `createdAt` (the time one statement
   * gave every row it created: a bulk start, or a notification's `createdAt`), each with its
   * history, in one read: ordered by `workflowId` (byte order), after `afterId` when given, at
   * most `limit`. Optional: without it, an engine picks notified workflows up one by one and
   * runs every workflow `startMany` creates at once.
   */
  listCreatedBatch?(
    executorId: string,
    createdAt: number,
    limit: number,
    afterId?: string,
  ): Promise<{ readonly record: WorkflowRecord; readonly history: readonly StepRecord[] }[]>;
}
