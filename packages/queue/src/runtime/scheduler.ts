/**
 * The cron scheduler: one loop per schedule that sleeps until the next tick and then fires it —
 * creates the tick's workflow under an ID made of the schedule's name and the tick time, and runs
 * it here if this process created it (or enqueues it on the schedule's queue). Every process that
 * lists a schedule does the same; the ID makes all but the first a no-op. At start it backfills
 * the ticks missed since the last recorded one, when the schedule asks for it.
 */
import { CairnError, type EnginePluginHost } from "@cairn/core";
import type { QueueStore } from "../queue-store.js";
import type { Schedule, ScheduledRun } from "../schedule.js";
import type { QueueClock } from "./clock.js";

/** What the scheduler needs. */
export interface SchedulerDeps {
  readonly store: QueueStore;
  readonly host: EnginePluginHost;
  readonly schedules: readonly Schedule[];
  readonly clock: QueueClock;
  /** Wait after a failed fire before trying the same tick again. */
  readonly retryMs: number;
  /** Enqueues a tick's workflow on the schedule's queue. */
  enqueue(schedule: Schedule, run: ScheduledRun, workflowId: string): Promise<void>;
}

/** Fires the schedules' ticks until stopped. */
export class Scheduler {
  private readonly deps: SchedulerDeps;
  private readonly stopped = new AbortController();
  private loops: Promise<void>[] = [];

  constructor(deps: SchedulerDeps) {
    this.deps = deps;
  }

  start(): void {
    this.loops = this.deps.schedules.map((s) => this.run(s));
  }

  async stop(): Promise<void> {
    this.stopped.abort();
    await Promise.all(this.loops);
  }

  private async run(schedule: Schedule): Promise<void> {
    const { clock } = this.deps;
    const { signal } = this.stopped;
    try {
      let cursor = clock.now();
      for (const tick of await this.missedTicks(schedule, cursor)) await this.fire(schedule, tick);
      while (!signal.aborted) {
        const tick = schedule.nextTick(cursor);
        await clock.sleep(Math.max(0, tick - clock.now()), signal);
        await this.fire(schedule, tick);
        cursor = tick;
      }
    } catch (error) {
      if (!signal.aborted) {
        this.deps.host.logger.error(`schedule "${schedule.name}" stopped`, { error });
      }
    }
  }

  /** Ticks after the last recorded one up to `now`, when the schedule backfills; else none. */
  private async missedTicks(schedule: Schedule, now: number): Promise<number[]> {
    if (schedule.missed !== "backfill") return [];
    const last = await this.retrying(schedule, () => this.deps.store.lastTick(schedule.name));
    if (last === undefined) return [];
    const ticks: number[] = [];
    let dropped = 0;
    for (let tick = schedule.nextTick(last); tick <= now; tick = schedule.nextTick(tick)) {
      ticks.push(tick);
      if (ticks.length > schedule.maxBackfill) dropped += ticks.splice(0, 1).length;
    }
    if (dropped > 0) {
      this.deps.host.logger.warn(
        `schedule "${schedule.name}": ${dropped} missed ticks skipped, backfilling the latest ${ticks.length}`,
      );
    }
    return ticks;
  }

  /** Creates (or finds) the tick's workflow, runs it here if created, records the tick. */
  private async fire(schedule: Schedule, tickAt: number): Promise<void> {
    const { host, store } = this.deps;
    const workflowId = schedule.workflowId(tickAt);
    const run: ScheduledRun = { scheduledAt: new Date(tickAt), scheduleName: schedule.name };
    await this.retrying(schedule, async () => {
      if (schedule.queue) {
        await this.deps.enqueue(schedule, run, workflowId);
      } else {
        const input = await host.prepareInput(schedule.workflow, run);
        const { created, workflow } = await host.store.createWorkflow({
          workflowId,
          name: schedule.workflow.name,
          input,
          executorId: host.executorId,
          appVersion: host.appVersion,
        });
        if (created) await host.run([workflow]);
      }
      await store.recordTick(schedule.name, tickAt);
    });
  }

  /** Runs `attempt` until it succeeds or the scheduler stops; logs each failure. */
  private async retrying<T>(schedule: Schedule, attempt: () => Promise<T>): Promise<T> {
    for (;;) {
      try {
        return await attempt();
      } catch (error) {
        // Only an unreachable store is worth waiting out; bad input or an unknown workflow is not.
        if (this.stopped.signal.aborted || !isTransient(error)) throw error;
        this.deps.host.logger.warn(`schedule "${schedule.name}" failed; retrying`, { error });
        await this.deps.clock.sleep(this.deps.retryMs, this.stopped.signal);
      }
    }
  }
}

/** Errors of the store being away, or of the database (not Cairn's own verdicts on the call). */
function isTransient(error: unknown): boolean {
  return !CairnError.is(error) || error.code === "STORE_UNAVAILABLE";
}
