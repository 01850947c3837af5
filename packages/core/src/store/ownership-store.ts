/**
 * The ownership role of the store contract: executors' heartbeats and leases, the claims that
 * hand workflows to an engine (recovery of its own at launch, takeover of those whose executor
 * is gone), and application versions. A claim moves a workflow to the claimer at a new
 * `ownerEpoch`, which fences off every older execution's writes. The contract suite's
 * `ownership/` files test it.
 */
import type { WorkflowRecord } from "./records.js";

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
  /**
   * The workflow names it runs, as its latest heartbeat advertised them; `undefined` when it
   * advertised none (an engine of a Cairn version from before this field).
   */
  readonly workflowNames: readonly string[] | undefined;
}

/** Which executors {@link OwnershipStore.listExecutors} returns. */
export interface ExecutorFilter {
  /**
   * Only executors whose lease ends less than this many ms ago or later (store clock):
   * `heartbeatAt + leaseMs + recentMs >= now`, whatever their status — the alive ones and those
   * that stopped or expired lately. Default: every executor that ever heartbeated.
   */
  readonly recentMs?: number | undefined;
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

/**
 * A launch-time claim, narrowed: an engine that runs only part of its workflows at once claims
 * all of them without counting an attempt (so older executions are fenced off), then counts one
 * for each page it hands to a run, so a crash counts only what ran (docs/multi-process.md).
 */
export interface LaunchClaim extends RecoveryClaim {
  /** Only these of the executor's workflows (claimed or reported `unknown`); unset: every one. */
  readonly workflowIds?: readonly string[] | undefined;
  /**
   * `false`: move the claimed rows to a new `ownerEpoch` but leave `recoveryAttempts` and the
   * progress they are compared with untouched, and dead-letter none. Default `true`.
   */
  readonly countAttempts?: boolean | undefined;
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

/** What a recovery or takeover claim gets back. */
export interface RecoveryResult {
  /** PENDING workflows to run again, with `recoveryAttempts` already incremented. */
  readonly recovered: readonly WorkflowRecord[];
  /** Workflows moved to `DEAD_LETTER` by this claim. */
  readonly deadLettered: readonly WorkflowRecord[];
  /** PENDING workflows it would claim but for their name; left untouched. */
  readonly unknown: readonly { readonly workflowId: string; readonly name: string }[];
}

/** Executors, leases, claims and versions. */
export interface OwnershipStore {
  /** Records that an executor is alive (store clock), creating its row on first call. */
  heartbeat(executor: {
    readonly executorId: string;
    readonly appVersion: string | undefined;
    readonly leaseMs: number;
    /**
     * The workflow names this executor runs, replacing what it advertised before; clients check
     * a start by name against them. Absent: it advertises none (`workflowNames` is `undefined`).
     */
    readonly workflowNames?: readonly string[] | undefined;
  }): Promise<void>;

  /** Marks an executor stopped (clean shutdown): others may take its workflows at once. */
  stopExecutor(executorId: string): Promise<void>;

  /** Every executor that ever heartbeated, or the recent ones (`filter.recentMs`). */
  listExecutors(filter?: ExecutorFilter): Promise<ExecutorRecord[]>;

  /**
   * At launch: claims this executor's `PENDING` workflows for re-execution. Each claimed row's
   * `recoveryAttempts` is incremented, or reset to 1 if the workflow recorded new checkpoints
   * since its previous recovery (it made progress, so it is not crash-looping), and `ownerEpoch`
   * is incremented (fencing off any older execution). A row whose new count exceeds its limit
   * moves to `DEAD_LETTER` instead (no error value is written: the engine reports dead letters
   * from the status and attempt count). All in one transaction. `claim.workflowIds` narrows the
   * claim to those workflows; `claim.countAttempts: false` moves the epoch only. Rows come back
   * oldest first (`createdAt`, then `workflowId`).
   */
  claimRecoverable(claim: LaunchClaim): Promise<RecoveryResult>;

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

  /**
   * Gives back the recovery attempt a claim (`claimRecoverable` or `takeOver`) counted for
   * workflows the claimer then did not run, because it began shutting down before it could:
   * each of `claimed` still `PENDING`, owned by `executorId` at the `ownerEpoch` that claim gave
   * it, has `recoveryAttempts` lowered by one (never below 0); owner and epoch stay, so the next
   * claim counts it as if this one had not. One changed hands since is left alone; one named
   * twice is lowered once. Returns the IDs given back, each once. Optional: without it such a workflow keeps the attempt, one more toward
   * `DEAD_LETTER` for a run that never happened.
   */
  refundRecoveryAttempts?(
    executorId: string,
    claimed: readonly { readonly workflowId: string; readonly ownerEpoch: number }[],
  ): Promise<string[]>;

  /** Moves PENDING workflows to another application version; returns the IDs moved. */
  setAppVersion(workflowIds: readonly string[], appVersion: string): Promise<string[]>;
}
