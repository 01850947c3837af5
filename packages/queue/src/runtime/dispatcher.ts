/**
 * The dispatcher: claims workflows from the queues this process serves and hands them to the
 * engine to run. One loop serves every queue in turn (round robin), one batch per turn, so a busy
 * queue cannot starve the others. A queue is claimed from when something says it may have work:
 * an enqueue notification, a local run of it ending, a timer for a delay or a rate-limit window,
 * a full batch last time, or the poll that backs notifications up. The limits themselves are
 * enforced by the store's claim (which applies the limits set at runtime and reports them back);
 * this loop only avoids claims that cannot get anything. With a store that records finishes in
 * its claim (`finishesInClaim`), the runs claimed here hand their outcomes to this loop, and the
 * next claim of their queue writes them in its transaction: one round trip frees their slots
 * and fills them again. A queue whose latest claim left nothing waiting has no slot to fill: its
 * outcomes go through the workflow store, one small statement each (group-committed).
 */
import {
  WorkflowOwnershipLostError,
  type EnginePluginHost,
  type Fence,
  type RunFinisher,
  type WorkflowOutcome,
  type WorkflowStatus,
} from "@cairn/core";
import type { Queue } from "../queue.js";
import type { ClaimFinish, ClaimResult, QueueLimits, QueueStore } from "../queue-store.js";

/** setTimeout's ceiling; a longer wait is cut short (the claim then sets the next timer). */
const MAX_TIMER_MS = 2_147_483_647;

/** Most outcomes one claim writes. */
const MAX_FINISHES = 1_000;

/** An outcome waiting for the next claim of its queue, with its run's promise. */
interface PendingFinish extends ClaimFinish {
  resolve(finished: boolean): void;
  reject(error: unknown): void;
}

/** What the dispatcher needs. */
export interface DispatcherDeps {
  readonly store: QueueStore;
  readonly host: EnginePluginHost;
  readonly queues: readonly Queue[];
  readonly pollIntervalMs: number;
  /** Most workflows one claim takes. */
  readonly claimBatch: number;
}

/** What one claim of a queue asks for, decided before it is sent. */
interface ClaimPlan {
  /** The queue's runs claimed here that have not ended. */
  readonly local: Set<string>;
  /** Outcomes this claim writes. */
  readonly finishes: readonly PendingFinish[];
  /** Most workflows it may take. */
  readonly room: number;
  readonly wantsWork: boolean;
  /** Whether a run of the queue ended while the claim was in flight. */
  readonly claiming: { readonly runEnded: boolean };
}

/** Claims and runs the work of the served queues. */
export class Dispatcher {
  private readonly deps: DispatcherDeps;
  /** Queues that may have claimable work. */
  private readonly wanted = new Set<string>();
  /** Workflows claimed here, per queue, whose run has not ended. */
  private readonly inFlight = new Map<string, Set<string>>();
  private readonly queueOf = new Map<string, string>();
  /** Names claimed here that this engine cannot run: never claimed again by it. */
  private readonly unrunnable = new Map<string, Set<string>>();
  /**
   * Queues whose latest claim left claimable items waiting (or did not say): a run of theirs
   * ending here claims again. A queue whose claim took everything waits for a notification, so
   * an idle queue costs one claim per enqueue, not a second one each time its run ends.
   */
  private readonly heldBack = new Set<string>();
  /**
   * The queue whose claim is in flight (one at a time), and whether a run of it ended meanwhile:
   * the claim's snapshot may have counted that run as running, so a claim that then says work is
   * left waiting claims again rather than wait for a run ending that already happened.
   */
  private claiming: { readonly queue: string; runEnded: boolean } | undefined;
  /** The limits the latest claim of each queue applied (runtime limits included). */
  private readonly limits = new Map<string, QueueLimits>();
  private readonly timers = new Map<string, { timer: ReturnType<typeof setTimeout>; at: number }>();
  private readonly stopped = new AbortController();
  /** The engine's workflows' recovery limits: a put-back past one dead-letters the workflow. */
  private readonly recoveryLimits: Readonly<Record<string, number>>;
  private cursor = 0;
  /** Queues whose latest claim saw other executors run their work (`ClaimResult.shared`). */
  private readonly shared = new Set<string>();
  private wake: (() => void) | undefined;
  private loopDone: Promise<void> = Promise.resolve();
  private pollTimer: ReturnType<typeof setInterval> | undefined;
  private readonly drained: (() => void)[] = [];
  /** Outcomes of runs claimed here, per queue, for its next claim to write. */
  private readonly finishing = new Map<string, PendingFinish[]>();
  /** Per queue, what records its runs' outcomes (with `finishesInClaim`). */
  private readonly finishers = new Map<string, RunFinisher>();
  /** The runs whose outcomes the latest claim wrote, told at the next turn of the event loop. */
  private unsettled: (() => void) | undefined;

  constructor(deps: DispatcherDeps) {
    this.deps = deps;
    this.recoveryLimits = deps.host.maxRecoveryAttempts();
    for (const queue of deps.queues) this.inFlight.set(queue.name, new Set());
  }

  /** Starts the loop with every queue marked as possibly having work. */
  start(): void {
    for (const queue of this.deps.queues) {
      this.wanted.add(queue.name);
      this.heldBack.add(queue.name);
    }
    this.pollTimer = setInterval(() => this.wakeAll(), this.deps.pollIntervalMs);
    this.pollTimer.unref();
    this.loopDone = this.loop();
  }

  /** Something says `queueName` may have work now. */
  notify(queueName: string): void {
    if (!this.inFlight.has(queueName)) return; // not served here
    this.wanted.add(queueName);
    this.wake?.();
  }

  /** A run in this engine ended: if it was claimed here, its slot is free. */
  runEnded(workflowId: string, _status: WorkflowStatus): void {
    const queueName = this.queueOf.get(workflowId);
    if (queueName === undefined) return;
    this.forget(workflowId, queueName);
    if (this.claiming?.queue === queueName) this.claiming.runEnded = true;
    if (this.heldBack.has(queueName)) this.notify(queueName);
  }

  private forget(workflowId: string, queueName: string): void {
    this.queueOf.delete(workflowId);
    this.inFlight.get(queueName)?.delete(workflowId);
    if (this.queueOf.size === 0) for (const resolve of this.drained.splice(0)) resolve();
  }

  /**
   * Records the outcome of a run claimed from `queueName` with the queue's next claim, while
   * no other process runs the queue's work. Else (and after `stop()`) through the workflow store:
   * claims of a queue wait for each other across processes (its lock), and an outcome must not
   * wait for them, since a run whose outcome is not written when its process dies runs again.
   */
  private finish(queueName: string, outcome: WorkflowOutcome, fence: Fence): Promise<boolean> {
    if (this.shared.has(queueName) || this.stopped.signal.aborted || this.idle(queueName)) {
      return this.deps.host.store.finishWorkflow(outcome, fence);
    }
    return new Promise<boolean>((resolve, reject) => {
      let pending = this.finishing.get(queueName);
      if (!pending) this.finishing.set(queueName, (pending = []));
      pending.push({ outcome, fence, resolve, reject });
      this.wanted.add(queueName);
      this.wake?.();
    });
  }

  /**
   * Whether `queueName`'s latest claim left nothing waiting, under no limit a finish frees (the
   * queue's concurrency or total concurrency): a claim would have no slot to fill, so an outcome
   * is one small statement instead (a claim on an idle queue is the whole claim statement, ~3x a
   * finish's server time). Under such a limit the outcome stays with the claim: a claim whose
   * snapshot preceded a finish written alone could find the queue full, with no run left here to
   * end and claim again.
   */
  private idle(queueName: string): boolean {
    if (this.heldBack.has(queueName)) return false;
    const limits =
      this.limits.get(queueName) ?? this.deps.queues.find((q) => q.name === queueName)?.options;
    return limits?.concurrency === undefined && limits?.totalConcurrency === undefined;
  }

  /** Writes `pending` through the workflow store, each alone (a claim could not take them). */
  private finishAlone(pending: readonly PendingFinish[]): void {
    for (const f of pending) {
      this.deps.host.store.finishWorkflow(f.outcome, f.fence).then(
        (finished) => f.resolve(finished),
        (error: unknown) => f.reject(error),
      );
    }
  }

  /**
   * Settles the runs whose outcomes a claim wrote; their slots were free for that claim. The
   * slots are given back at once; the runs hear of it in the next turn of the event loop, once
   * the runs this claim started have run as far as they could and the next claim is on its way:
   * ending 50 runs (their events, waiters, the run set) is work the next claim need not wait for.
   * At most one claim's runs wait so: a store that answers within the same turn (PGlite's
   * claims never let the loop turn during a drain) would otherwise keep every run of the backlog
   * in memory, unfinished for its waiters, until the drain ends. The previous claim's runs are
   * told here if their turn has not come yet.
   */
  private settleFinishes(
    queueName: string,
    pending: readonly PendingFinish[],
    result: ClaimResult,
  ): void {
    const { finished } = result;
    if (finished?.length !== pending.length) return this.finishAlone(pending); // not written
    for (const f of pending) this.forget(f.outcome.workflowId, queueName);
    this.settleNow();
    const settle = () => {
      pending.forEach((f, i) => {
        const what = finished[i];
        if (what === "fenced") {
          f.reject(new WorkflowOwnershipLostError(f.outcome.workflowId, f.fence.executorId));
        } else f.resolve(what === "finished");
      });
    };
    this.unsettled = settle;
    setImmediate(() => {
      if (this.unsettled === settle) this.settleNow();
    });
  }

  /** Tells the runs of {@link unsettled} now. */
  private settleNow(): void {
    const settle = this.unsettled;
    this.unsettled = undefined;
    settle?.();
  }

  /** How many workflows claimed here are still running. */
  get running(): number {
    return this.queueOf.size;
  }

  /** Stops claiming; waits for an ongoing claim to finish. */
  async stop(): Promise<void> {
    this.stopped.abort();
    clearInterval(this.pollTimer);
    for (const { timer } of this.timers.values()) clearTimeout(timer);
    this.wake?.();
    await this.loopDone;
    for (const pending of this.finishing.values()) this.finishAlone(pending.splice(0));
  }

  /** Resolves when every workflow claimed here ended, or after `timeoutMs`. */
  async drain(timeoutMs: number): Promise<void> {
    if (this.queueOf.size === 0 || timeoutMs <= 0) return;
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([
      new Promise<void>((resolve) => this.drained.push(resolve)),
      new Promise<void>((resolve) => {
        timer = setTimeout(resolve, timeoutMs);
      }),
    ]);
    clearTimeout(timer);
  }

  private wakeAll(): void {
    for (const queue of this.deps.queues) this.wanted.add(queue.name);
    this.wake?.();
  }

  private async loop(): Promise<void> {
    const { signal } = this.stopped;
    while (!signal.aborted) {
      const queue = this.nextWanted();
      if (!queue) {
        // Cleared as it is called: the 50 runs ending after a claim each call it, and resolving a
        // settled promise again costs a call into Node's promise hooks (~1 per drained item).
        await new Promise<void>((resolve) => {
          this.wake = () => {
            this.wake = undefined;
            resolve();
          };
        });
        continue;
      }
      await this.claimFrom(queue);
    }
  }

  /**
   * The next queue with work after the last one served, round robin; first a queue with
   * outcomes waiting to be written (they must not wait behind another queue's claim).
   */
  private nextWanted(): Queue | undefined {
    const { queues } = this.deps;
    for (const queue of queues) {
      if ((this.finishing.get(queue.name)?.length ?? 0) > 0) {
        this.wanted.delete(queue.name);
        return queue;
      }
    }
    for (let i = 0; i < queues.length; i++) {
      const queue = queues[(this.cursor + i) % queues.length];
      if (queue && this.wanted.has(queue.name)) {
        this.cursor = (this.cursor + i + 1) % queues.length;
        this.wanted.delete(queue.name);
        return queue;
      }
    }
    return undefined;
  }

  private async claimFrom(queue: Queue): Promise<void> {
    const { host, claimBatch } = this.deps;
    const local = this.inFlight.get(queue.name) ?? new Set<string>();
    const { workerConcurrency } = this.limits.get(queue.name) ?? queue.options;
    // Runs whose outcomes this claim writes free their slots for it.
    const finishes = this.finishing.get(queue.name)?.splice(0, MAX_FINISHES) ?? [];
    if ((this.finishing.get(queue.name)?.length ?? 0) > 0) this.wanted.add(queue.name);
    const room = Math.min(
      claimBatch,
      (workerConcurrency ?? Infinity) - local.size + finishes.length,
    );
    const wantsWork = room > 0 && host.isRunning();
    if (!wantsWork && finishes.length === 0) {
      // Asked for work it has no room for: a local run ending wakes this queue again.
      this.heldBack.add(queue.name);
      return;
    }
    const claiming = (this.claiming = { queue: queue.name, runEnded: false });
    try {
      await this.claimAndRun(queue, { local, finishes, room, wantsWork, claiming });
    } finally {
      this.claiming = undefined;
    }
  }

  private async claimAndRun(queue: Queue, plan: ClaimPlan): Promise<void> {
    const { store, host } = this.deps;
    const { local, finishes, room, wantsWork, claiming } = plan;
    let result: ClaimResult;
    try {
      result = await store.claim({
        queueName: queue.name,
        executorId: host.executorId,
        appVersion: host.appVersion,
        excludeNames: [...(this.unrunnable.get(queue.name) ?? [])],
        limits: queue.options,
        partitioned: queue.options.partitioned === true,
        max: wantsWork ? room : 0,
        maxRecoveryAttempts: this.recoveryLimits,
        ...(finishes.length > 0
          ? { finishes: finishes.map(({ outcome, fence }) => ({ outcome, fence })) }
          : {}),
      });
    } catch (error) {
      this.heldBack.add(queue.name);
      this.finishAlone(finishes); // one bad outcome must not fail the others
      host.logger.warn(`could not claim from queue "${queue.name}"; the next poll retries`, {
        error,
      });
      return;
    }
    if (result.shared === false) this.shared.delete(queue.name);
    else this.shared.add(queue.name);
    if (finishes.length > 0) this.settleFinishes(queue.name, finishes, result);
    try {
      if (result.limits) this.limits.set(queue.name, result.limits);
      if (result.deadLettered.length > 0) host.reportDeadLettered(result.deadLettered);
      const runnable = result.claimed.filter((record) => host.isRegistered(record.name));
      if (runnable.length < result.claimed.length) {
        const ids = new Set(runnable.map((record) => record.workflowId));
        await this.giveBack(
          queue,
          result.claimed.filter((record) => !ids.has(record.workflowId)),
        );
      }
      if (runnable.length > 0 && !host.isRunning()) {
        await this.putBackUnrun(queue, runnable);
        return;
      }
      for (const record of runnable) {
        local.add(record.workflowId);
        this.queueOf.set(record.workflowId, queue.name);
      }
      if (runnable.length > 0) {
        const finish = this.finisherOf(queue.name);
        host
          .run(runnable, { withoutSteps: result.withoutSteps, ...(finish ? { finish } : {}) })
          .catch((error: unknown) => {
            host.logger.warn(`could not run workflows claimed from queue "${queue.name}"`, {
              error,
            });
          });
      }
      // Unknown (a store that does not say): as if the claim left work behind.
      const more = result.more ?? true;
      if (more) this.heldBack.add(queue.name);
      else this.heldBack.delete(queue.name);
      const filledRoom = wantsWork && result.claimed.length >= room;
      if ((more && (filledRoom || claiming.runEnded)) || result.requeued > 0) {
        this.wanted.add(queue.name);
      }
      if (result.retryInMs !== undefined) this.retryLater(queue.name, result.retryInMs);
    } catch (error) {
      this.heldBack.add(queue.name);
      host.logger.warn(`could not run what was claimed from queue "${queue.name}"`, { error });
    }
  }

  /** What records the outcomes of `queueName`'s runs; undefined: the workflow store does. */
  private finisherOf(queueName: string): RunFinisher | undefined {
    if (this.deps.store.finishesInClaim !== true) return undefined;
    let finisher = this.finishers.get(queueName);
    if (!finisher) {
      finisher = (outcome, fence) => this.finish(queueName, outcome, fence);
      this.finishers.set(queueName, finisher);
    }
    return finisher;
  }

  /** Puts back what this engine cannot run, and never claims those names again. */
  private async giveBack(queue: Queue, records: readonly { workflowId: string; name: string }[]) {
    if (records.length === 0) return;
    const names = this.unrunnable.get(queue.name) ?? new Set<string>();
    for (const record of records) names.add(record.name);
    this.unrunnable.set(queue.name, names);
    this.deps.host.logger.warn(
      `queue "${queue.name}" holds workflows this engine does not register (${[...names].join(", ")}); left for other engines`,
    );
    await this.deps.store.release(
      records.map((r) => r.workflowId),
      this.deps.host.executorId,
    );
  }

  /**
   * Puts back, unstarted, what a claim answered once the engine had begun to shut down: the
   * engine would not run them (it leaves such a claim PENDING), and the put-back of a stopped
   * executor's items would then count a recovery attempt for a run that never happened, so a
   * process shut down during its claims again and again could dead-letter workflows that never
   * ran. Left PENDING if this fails (the store may be going away): the old put-back then applies.
   */
  private async putBackUnrun(queue: Queue, records: readonly { workflowId: string }[]) {
    const { store, host } = this.deps;
    try {
      await store.release(
        records.map((r) => r.workflowId),
        host.executorId,
      );
    } catch (error) {
      host.logger.warn(`could not put back what queue "${queue.name}" handed out at shutdown`, {
        error,
      });
    }
  }

  /** Claims from `queueName` again in `delayMs` (keeps the earlier of two timers). */
  private retryLater(queueName: string, delayMs: number): void {
    const at = Date.now() + Math.max(1, delayMs);
    const existing = this.timers.get(queueName);
    if (existing && existing.at <= at) return;
    clearTimeout(existing?.timer);
    const timer = setTimeout(
      () => {
        this.timers.delete(queueName);
        this.notify(queueName);
      },
      Math.min(at - Date.now(), MAX_TIMER_MS),
    );
    timer.unref();
    this.timers.set(queueName, { timer, at });
  }
}
