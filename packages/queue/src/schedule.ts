/**
 * Cron schedules: a workflow started at every tick of a cron expression. `schedule()` only
 * describes one; the engine's queue runtime (`createQueues({ schedules })`) fires it. Every
 * process that lists a schedule fires each tick, and the tick's time is part of the workflow ID
 * (`cron:<name>:<ISO time>`), so exactly one workflow exists per tick however many processes run.
 */
import { InvalidOptionError, type ChannelSchemas, type Workflow } from "@cairn/core";
import { nextTick, checkTimeZone } from "./cron/next-tick.js";
import { parseCron, type CronFields } from "./cron/parse-cron.js";
import { checkCount, type Queue } from "./queue.js";

/** The input a scheduled workflow receives. */
export interface ScheduledRun {
  /** The tick this run is for (not when it actually started). */
  readonly scheduledAt: Date;
  readonly scheduleName: string;
  /** The `context` of a schedule stored at runtime (`createSchedule`); absent for code ones. */
  readonly context?: unknown;
}

/** Options of {@link schedule}. */
export interface ScheduleOptions {
  /** The IANA time zone the cron fields are read in, e.g. `"Europe/Paris"`. Default `"UTC"`. */
  readonly timezone?: string;
  /**
   * Ticks that passed while no process ran the schedule: `"skip"` them (default), or
   * `"backfill"` them, oldest first, when a process starts again.
   */
  readonly missed?: "skip" | "backfill";
  /** At most this many missed ticks are backfilled (the latest ones). Default 100. */
  readonly maxBackfill?: number;
  /** Enqueue each tick's workflow on this queue instead of starting it at once. */
  readonly queue?: Queue;
}

/** A schedule's definition. Pass it in `createQueues({ schedules })`. */
export interface Schedule {
  readonly name: string;
  readonly cron: string;
  readonly workflow: Workflow<ScheduledRun, unknown, ChannelSchemas>;
  readonly timezone: string;
  readonly missed: "skip" | "backfill";
  readonly maxBackfill: number;
  readonly queue: Queue | undefined;
  /** The first tick strictly after `after` (epoch ms). */
  nextTick(after: number): number;
  /** The ID of the workflow of the tick at `tickAt`. */
  workflowId(tickAt: number): string;
}

/**
 * Defines a cron schedule (5 fields: minute hour day-of-month month day-of-week).
 * @throws CronExpressionInvalidError for a bad expression or an unknown time zone.
 *
 * @example
 * const nightly = schedule("nightly-report", "0 2 * * *", report, { timezone: "Europe/Paris" });
 * createQueues({ store, schedules: [nightly] });
 */
export function schedule<Out, C extends ChannelSchemas>(
  name: string,
  cron: string,
  workflow: Workflow<ScheduledRun, Out, C>,
  options: ScheduleOptions = {},
): Schedule {
  if (typeof name !== "string" || name.length === 0 || name.length > 200) {
    throw new InvalidOptionError("name", "a schedule name is a string of 1 to 200 characters");
  }
  const fields: CronFields = parseCron(cron);
  const timezone = options.timezone ?? "UTC";
  checkTimeZone(timezone);
  const missed = options.missed ?? "skip";
  if (missed !== "skip" && missed !== "backfill") {
    throw new InvalidOptionError("missed", `expected "skip" or "backfill", got ${String(missed)}`);
  }
  const maxBackfill = options.maxBackfill ?? 100;
  checkCount(maxBackfill, "maxBackfill");
  nextTick(fields, Date.now(), timezone); // throws now for an expression that never fires
  return {
    name,
    cron,
    workflow: workflow,
    timezone,
    missed,
    maxBackfill,
    queue: options.queue,
    nextTick: (after) => nextTick(fields, after, timezone),
    workflowId: (tickAt) => tickWorkflowId(name, tickAt),
  };
}

/** The ID of the workflow of a schedule's tick: one per tick however many processes fire it. */
export function tickWorkflowId(scheduleName: string, tickAt: number): string {
  return `cron:${scheduleName}:${new Date(tickAt).toISOString()}`;
}
