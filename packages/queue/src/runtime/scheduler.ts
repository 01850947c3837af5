/**
 * The cron scheduler: one loop per schedule that sleeps until the next tick and then fires it —
 * creates the tick's workflow under an ID made of the schedule's name and the tick time (and
 * runs it here, or enqueues it on the schedule's queue). Every process that runs a schedule does
 * the same; the ID makes all but the first a no-op. At start it backfills the ticks missed since
 * the last recorded one, when the schedule asks for it. The set of loops follows the schedules
 * in code plus those stored in the database (re-read every poll interval and after a change
 * made here); a stored schedule that changes gets a new loop.
 */
import { CairnError, type Logger } from "@cairn/core";
import type { QueueStore } from "../queue-store.js";
import type { QueueClock } from "./clock.js";

/** A schedule as the scheduler runs it. */
export interface Ticking {
  readonly name: string;
  readonly missed: "skip" | "backfill";
  readonly maxBackfill: number;
  /** The first tick strictly after `after` (epoch ms). */
  nextTick(after: number): number;
  /** Creates (or finds) the workflow of the tick at `tickAt`. */
  fire(tickAt: number): Promise<void>;
}

/** A schedule to run and the version of its definition: a new version restarts its loop. */
export interface WantedSchedule {
  readonly ticking: Ticking;
  readonly version: string;
}

/** What the scheduler needs. */
export interface SchedulerDeps {
  readonly store: QueueStore;
  readonly logger: Logger;
  readonly clock: QueueClock;
  /** Wait after a failed fire before trying the same tick again; also the stored poll. */
  readonly retryMs: number;
  /** The schedules to run now (code ones and stored ones). */
  wanted(): Promise<readonly WantedSchedule[]>;
}

interface Loop {
  readonly version: string;
  readonly stop: AbortController;
  readonly done: Promise<void>;
}

/** Fires the schedules' ticks until stopped. */
export class Scheduler {
  private readonly deps: SchedulerDeps;
  private readonly stopped = new AbortController();
  private readonly loops = new Map<string, Loop>();
  private refreshTimer: ReturnType<typeof setInterval> | undefined;
  private refreshing: Promise<void> = Promise.resolve();

  constructor(deps: SchedulerDeps) {
    this.deps = deps;
  }

  async start(): Promise<void> {
    await this.refresh();
    this.refreshTimer = setInterval(() => void this.refresh(), this.deps.retryMs);
    this.refreshTimer.unref();
  }

  async stop(): Promise<void> {
    this.stopped.abort();
    clearInterval(this.refreshTimer);
    await this.refreshing;
    for (const loop of this.loops.values()) loop.stop.abort();
    await Promise.all([...this.loops.values()].map((loop) => loop.done));
  }

  /** Re-reads the wanted schedules and starts, restarts or stops loops to match. */
  refresh(): Promise<void> {
    this.refreshing = this.refreshing
      .then(() => this.apply())
      .catch((error: unknown) => {
        this.deps.logger.warn("could not read the stored schedules; the next poll retries", {
          error,
        });
      });
    return this.refreshing;
  }

  /** The names of the schedules with a running loop. */
  get running(): readonly string[] {
    return [...this.loops.keys()];
  }

  private async apply(): Promise<void> {
    if (this.stopped.signal.aborted) return;
    const wanted = new Map((await this.deps.wanted()).map((w) => [w.ticking.name, w]));
    for (const [name, loop] of this.loops) {
      if (wanted.get(name)?.version === loop.version) continue;
      loop.stop.abort();
      this.loops.delete(name);
      await loop.done;
    }
    for (const [name, want] of wanted) {
      if (this.loops.has(name) || this.stopped.signal.aborted) continue;
      const stop = new AbortController();
      this.loops.set(name, {
        version: want.version,
        stop,
        done: this.run(want.ticking, stop.signal),
      });
    }
  }

  private async run(schedule: Ticking, signal: AbortSignal): Promise<void> {
    const { clock } = this.deps;
    try {
      let cursor = clock.now();
      for (const tick of await this.missedTicks(schedule, cursor, signal)) {
        await this.fire(schedule, tick, signal);
      }
      while (!signal.aborted) {
        const tick = schedule.nextTick(cursor);
        await clock.sleep(Math.max(0, tick - clock.now()), signal);
        await this.fire(schedule, tick, signal);
        cursor = tick;
      }
    } catch (error) {
      if (!signal.aborted) {
        this.deps.logger.error(`schedule "${schedule.name}" stopped`, { error });
      }
    }
  }

  /** Ticks after the last recorded one up to `now`, when the schedule backfills; else none. */
  private async missedTicks(
    schedule: Ticking,
    now: number,
    signal: AbortSignal,
  ): Promise<number[]> {
    if (schedule.missed !== "backfill") return [];
    const last = await this.retrying(schedule, signal, () =>
      this.deps.store.lastTick(schedule.name),
    );
    if (last === undefined) return [];
    const ticks: number[] = [];
    let dropped = 0;
    for (let tick = schedule.nextTick(last); tick <= now; tick = schedule.nextTick(tick)) {
      ticks.push(tick);
      if (ticks.length > schedule.maxBackfill) dropped += ticks.splice(0, 1).length;
    }
    if (dropped > 0) {
      this.deps.logger.warn(
        `schedule "${schedule.name}": ${dropped} missed ticks skipped, backfilling the latest ${ticks.length}`,
      );
    }
    return ticks;
  }

  /** Creates (or finds) the tick's workflow, then records the tick. */
  private async fire(schedule: Ticking, tickAt: number, signal: AbortSignal): Promise<void> {
    await this.retrying(schedule, signal, async () => {
      await schedule.fire(tickAt);
      await this.deps.store.recordTick(schedule.name, tickAt);
    });
  }

  /** Runs `attempt` until it succeeds or the loop stops; logs each failure. */
  private async retrying<T>(
    schedule: Ticking,
    signal: AbortSignal,
    attempt: () => Promise<T>,
  ): Promise<T> {
    for (;;) {
      try {
        return await attempt();
      } catch (error) {
        // Only an unreachable store is worth waiting out; bad input or an unknown workflow is not.
        if (signal.aborted || !isTransient(error)) throw error;
        this.deps.logger.warn(`schedule "${schedule.name}" failed; retrying`, { error });
        await this.deps.clock.sleep(this.deps.retryMs, signal);
      }
    }
  }
}

/** Errors of the store being away, or of the database (not Cairn's own verdicts on the call). */
function isTransient(error: unknown): boolean {
  return !CairnError.is(error) || error.code === "STORE_UNAVAILABLE";
}
