/**
 * Waking suspended workflows (decision 0014). A run that waits longer than the engine's
 * `suspendAfterMs` leaves memory (`Journal.suspend`); the store keeps when it is due. This module
 * keeps one timer, for the earliest due time this engine knows of, and when it fires (or the
 * poll asks, or the store's `wake` notification says that what a suspended workflow of this
 * executor waited for arrived) claims what is due from the store and runs each by replay. The
 * poll's claim is the fallback for what no timer or notification here told of; recovery and
 * takeover need nothing from it (a claim voids the suspension, and the replay suspends again).
 */
import { systemClock, type Clock } from "../clock.js";
import type { Logger } from "../logger.js";
import type { WorkflowStore } from "../store/workflow-store.js";
import { historiesOf, type RunSet } from "./run-set.js";
import type { Wakeups } from "./wakeups.js";

/** What waking needs from its engine. */
export interface SuspensionsDeps {
  readonly store: WorkflowStore;
  readonly runs: RunSet;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly executorId: string;
  /** Its `wake` notifications for this executor claim what is due at once. */
  readonly wakeups: Wakeups;
  isRunning(): boolean;
}

const WAKE_BATCH = 500;
const MAX_TIMER_MS = 2_147_483_647;

/** One timer for the earliest due suspension, and the claim of what is due. */
export class Suspensions {
  private readonly deps: SuspensionsDeps;
  /** The due time the timer is armed for, and how to disarm it. */
  private armed: { readonly at: number; readonly disarm: () => void } | undefined;
  private waking: Promise<void> | undefined;
  private again = false;

  constructor(deps: SuspensionsDeps) {
    this.deps = deps;
    deps.wakeups.onNotification((notification) => {
      if (notification.kind === "wake" && notification.executorId === deps.executorId) {
        void this.wakeDue();
      }
    });
  }

  /** A run here suspended until `wakeAt`: arms the timer if that is earlier than it was. */
  suspended(wakeAt: number): void {
    if (this.armed === undefined || wakeAt < this.armed.at) this.arm(wakeAt);
  }

  /**
   * Claims every due suspension of this executor and runs each; re-arms the timer at the next
   * due time. Calls made while one is under way run once more after it. Never rejects.
   */
  wakeDue(): Promise<void> {
    if (this.waking) {
      this.again = true;
      return this.waking;
    }
    this.waking = this.claimAll().finally(() => {
      this.waking = undefined;
      if (this.again) {
        this.again = false;
        void this.wakeDue();
      }
    });
    return this.waking;
  }

  /** Disarms the timer (shutdown). */
  stop(): void {
    this.armed?.disarm();
    this.armed = undefined;
  }

  private async claimAll(): Promise<void> {
    const { store, runs, clock, executorId, logger } = this.deps;
    try {
      for (;;) {
        if (!this.deps.isRunning()) return;
        const due = await store.claimDueWorkflows({
          executorId,
          now: clock.now(),
          limit: WAKE_BATCH,
        });
        // One read for the histories of the page, not one per workflow woken. The claimed
        // workflows are held meanwhile: a poll that read one as runnable must not run it while
        // its history is read, or the wake would replay it from a history older than that run's
        // steps and run a checkpointed step again (claiming a wake-up does not move the epoch,
        // so no fence would stop it). Every held one is released by its wake below.
        const ids = due.workflows.map((record) => record.workflowId);
        const held = runs.hold(ids);
        const histories = await historiesOf(store, ids).catch(() => undefined); // else one by one
        for (const record of due.workflows) {
          const id = record.workflowId;
          // Failures leave it PENDING and no longer suspended: the poll picks it up.
          void runs.wake(record, histories?.get(id), held.has(id)).catch((error: unknown) => {
            logger.warn(`could not wake workflow ${id}; the poll retries`, { error });
          });
        }
        if (due.workflows.length < WAKE_BATCH) {
          this.stop();
          if (due.nextWakeAt !== undefined) this.arm(due.nextWakeAt);
          return;
        }
      }
    } catch (error) {
      logger.warn("could not claim due suspended workflows; the next poll retries", { error });
    }
  }

  private arm(at: number): void {
    this.armed?.disarm();
    const { clock } = this.deps;
    const fire = () => {
      this.armed = undefined;
      void this.wakeDue();
    };
    if (clock !== systemClock) {
      // Durable time the test advances: no real timer to unref.
      const cancel = new AbortController();
      this.armed = { at, disarm: () => cancel.abort() };
      clock.sleep(Math.max(0, at - clock.now()), cancel.signal).then(fire, () => undefined);
      return;
    }
    const waitMs = Math.max(0, at - Date.now());
    const timer = setTimeout(
      () => {
        if (Date.now() < at) return this.arm(at); // a due time past the longest timer re-arms
        fire();
      },
      Math.min(waitMs, MAX_TIMER_MS),
    );
    timer.unref();
    this.armed = { at, disarm: () => clearTimeout(timer) };
  }
}
