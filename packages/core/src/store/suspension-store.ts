/**
 * The suspension role of the store contract: a workflow waiting longer than the engine's
 * threshold leaves memory, and the store keeps when it is due (decision 0014). A suspension is
 * written under the run's fence and counts only while the workflow keeps that owner and epoch:
 * a recovery, takeover or resume voids it, and the new owner's replay suspends it again. The
 * contract suite's `suspension/` files test it.
 */
import type { Fence, WorkflowRecord } from "./records.js";

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
   * Marks PENDING workflow `workflowId` as suspended until `wakeAt` (epoch ms), under `fence`.
   * A later suspension replaces an earlier one.
   * @throws WorkflowOwnershipLostError when the fence is stale or the workflow is not PENDING;
   *   nothing is written.
   */
  suspendWorkflow(workflowId: string, wakeAt: number, fence: Fence): Promise<void>;
  /**
   * Ends the suspensions of `claim.executorId` due by `claim.now`, earliest first, and returns
   * their workflows and the next due time. Each suspension is handed out once.
   */
  claimDueWorkflows(claim: DueClaim): Promise<DueWorkflows>;
  /**
   * PENDING workflows owned by `executorId` that are not suspended, oldest first: what an
   * engine's poll may pick up.
   */
  listRunnable(executorId: string, limit: number): Promise<WorkflowRecord[]>;
}
