/**
 * How work created elsewhere reaches a running engine: a client's start, a resume or a fork
 * assigned to this executor, a workflow nobody was assigned (which any engine may claim), a
 * cancellation. A store notification announces each at once; the periodic poll (driven by
 * `background.ts`) finds whatever a notification missed, and stops local runs that were
 * cancelled or taken over elsewhere. Runs themselves start in `run-set.ts`.
 */
import type { Logger } from "../logger.js";
import { UNASSIGNED_EXECUTOR } from "../store/executor-ids.js";
import type { StoreNotification } from "../store/messaging-store.js";
import type { WorkflowCursor } from "../store/running-store.js";
import type { WorkflowStore } from "../store/workflow-store.js";
import type { CreatedBatches } from "./created-batches.js";
import type { Recovery } from "./recovery.js";
import type { RunSet } from "./run-set.js";
import type { Suspensions } from "./suspensions.js";
import type { Wakeups } from "./wakeups.js";

/** What pickup needs from its engine. */
export interface PickupDeps {
  readonly runs: RunSet;
  readonly batches: CreatedBatches;
  readonly recovery: Recovery;
  readonly suspensions: Suspensions;
  readonly store: WorkflowStore;
  readonly wakeups: Wakeups;
  readonly logger: Logger;
  readonly executorId: string;
  /** The workflow names this engine registers: the only unassigned work worth a claim. */
  workflowNames(): readonly string[];
  isRunning(): boolean;
}

const PICKUP_BATCH = 100;

/** Picks up work announced by notifications, and polls for what they missed. */
export class Pickup {
  private readonly deps: PickupDeps;
  /** A notification's takeover is under way; another was asked for meanwhile. */
  private claiming = false;
  private claimAgain = false;
  /**
   * Where the next poll's page of runnable workflows starts: after the last one of a full page,
   * else at the oldest. The oldest are usually running here already; without paging, an engine
   * running more than a page of workflows never saw, by polling, one whose notification it
   * missed until enough of those finished.
   */
  private runnableAfter: WorkflowCursor | undefined;

  constructor(deps: PickupDeps) {
    this.deps = deps;
    deps.wakeups.onNotification((notification) => this.notified(notification));
  }

  /**
   * The poll behind notifications: stops local runs that were cancelled or taken over elsewhere,
   * wakes suspended workflows that are due (what no timer here knew of), and picks up PENDING
   * workflows assigned to this executor that nothing runs and that are not suspended.
   */
  async poll(): Promise<void> {
    const { store, runs, recovery, executorId } = this.deps;
    const ids = runs.ids();
    if (ids.length > 0) {
      // Only status and owner matter here: the values of every running workflow stay unread.
      const bare = { loadInput: false, loadOutput: false } as const;
      runs.reconcile(await store.listWorkflows({ workflowIds: ids, limit: ids.length, ...bare }));
    }
    // Only names this engine runs: unassigned work of other names would cost a claim per poll.
    const unassigned = {
      status: "PENDING",
      executorId: UNASSIGNED_EXECUTOR,
      name: this.deps.workflowNames(),
      limit: 1,
      loadInput: false,
      loadOutput: false,
    } as const;
    if ((await store.listWorkflows(unassigned)).length > 0) await recovery.takeOver();
    await this.deps.suspensions.wakeDue();
    const { batches } = this.deps;
    batches.drain(); // again, after a read that failed
    const mark = batches.markRead();
    const pending = await store.listRunnable(executorId, PICKUP_BATCH, this.runnableAfter);
    const last = pending.length === PICKUP_BATCH ? pending.at(-1) : undefined;
    this.runnableAfter = last && { createdAt: last.createdAt, workflowId: last.workflowId };
    runs.forgetOldEnds();
    for (const record of pending) {
      if (runs.endedRecently(record.workflowId) || runs.busy(record.workflowId)) continue;
      // Bulk starts and recovered work waiting here for room: their pickup keeps the bound.
      if (batches.waits(record)) continue;
      // Read while it waited, claimed by a page since: this row may predate that claim.
      if (batches.handedOffSince(record.workflowId, mark)) continue;
      await runs.ensureRunning(record);
    }
  }

  private notified(notification: StoreNotification): void {
    if (notification.kind !== "status") return;
    const { runs, executorId } = this.deps;
    if (notification.status === "CANCELLED") runs.cancel([notification.workflowId]);
    else if (notification.status !== "PENDING") return;
    else if (notification.executorId === UNASSIGNED_EXECUTOR) this.claimUnassigned();
    else if (notification.executorId !== executorId) return;
    else if (notification.createdAt !== undefined && this.deps.batches.supported) {
      // One notification for a bulk start's batch: read back at once, as room allows.
      if (this.deps.isRunning()) this.deps.batches.announced(notification.createdAt);
    } else {
      void this.pickUp(notification.workflowId);
    }
  }

  /**
   * Claims unassigned workflows for a notification: one takeover at a time, repeated while it
   * claims some or notifications came meanwhile. A bulk start for any engine announces each of
   * its workflows; a takeover per notification was a thousand claim transactions per thousand.
   */
  private claimUnassigned(): void {
    if (this.claiming) {
      this.claimAgain = true;
      return;
    }
    this.claiming = true;
    const { recovery, logger } = this.deps;
    void (async () => {
      try {
        do {
          this.claimAgain = false;
          const report = await recovery.takeOver();
          if (report.recovered.length > 0) this.claimAgain = true;
        } while (this.claimAgain && this.deps.isRunning());
      } catch (error) {
        logger.warn("could not claim an unassigned workflow; the next poll retries", { error });
      } finally {
        this.claiming = false;
      }
    })();
  }

  private async pickUp(workflowId: string): Promise<void> {
    const { runs, store, executorId } = this.deps;
    // A run that just ended here (say, interrupted by a store error) is retried by the poll,
    // not at once: an immediate retry could loop as fast as the store answers.
    if (runs.busy(workflowId) || runs.endedRecently(workflowId) || !this.deps.isRunning()) return;
    try {
      const record = await store.getWorkflow(workflowId);
      if (record?.status === "PENDING" && record.executorId === executorId) {
        await runs.ensureRunning(record);
      }
    } catch (error) {
      this.deps.logger.warn(`could not pick up workflow ${workflowId}; the next poll retries`, {
        error,
      });
    }
  }
}
