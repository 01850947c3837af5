/**
 * Schedules stored in the database, managed at runtime — per-tenant schedules without a deploy.
 * The same operations from an engine's queue runtime and from a client: create, update, delete,
 * pause, resume, trigger a run now, backfill a range of ticks, read and list. Engines fire the
 * stored schedules whose workflow they register (see the scheduler); a tick's workflow ID is the
 * same as for a schedule in code (`cron:<name>:<ISO tick>`), so a tick runs once however many
 * engines fire it, and a backfill of a tick that already ran finds that run.
 */
import { randomUUID } from "node:crypto";
import {
  InvalidOptionError,
  deserialize,
  serialize,
  type AnyWorkflow,
  type WorkflowHandle,
} from "@cairn/core";
import { checkTimeZone, nextTick } from "../cron/next-tick.js";
import { parseCron } from "../cron/parse-cron.js";
import { ScheduleExistsError, ScheduleNotFoundError } from "../errors.js";
import { checkCount, type Queue } from "../queue.js";
import type { NewStoredSchedule, QueueStore, StoredSchedule } from "../queue-store.js";
import { tickWorkflowId, type ScheduledRun } from "../schedule.js";
import { checkPartition } from "./enqueue-by-name.js";

/** Most ticks one backfill creates. */
const MAX_BACKFILL_TICKS = 10_000;

/** A schedule to store. */
export interface StoredScheduleOptions {
  /** 1 to 200 characters; shares its namespace with the schedules in code. */
  readonly name: string;
  /** 5 fields: minute hour day-of-month month day-of-week. */
  readonly cron: string;
  /** The workflow each tick starts: a definition, or its name (from a client). */
  readonly workflow: AnyWorkflow | string;
  /** IANA time zone of the cron fields. Default `"UTC"`. */
  readonly timezone?: string;
  /** Ticks missed while no engine ran it: `"skip"` (default) or `"backfill"` them. */
  readonly missed?: "skip" | "backfill";
  /** At most this many missed ticks are backfilled. Default 100. */
  readonly maxBackfill?: number;
  /** Enqueue each tick's workflow on this queue instead of starting it at once. */
  readonly queue?: Queue | string;
  /** The partition of a partitioned queue. */
  readonly partitionKey?: string;
  /** Any serializable value, passed to every run as `context` (a tenant, an account). */
  readonly context?: unknown;
  /** Stored but not firing. Default false. */
  readonly paused?: boolean;
}

/** Changes to a stored schedule; `null` removes the queue, partition or context. */
export type ScheduleChanges = {
  readonly [K in Exclude<keyof StoredScheduleOptions, "name">]?: K extends
    "queue" | "partitionKey" | "context"
    ? StoredScheduleOptions[K] | null
    : StoredScheduleOptions[K];
};

/** A stored schedule as read back. */
export interface ScheduleInfo {
  readonly name: string;
  readonly cron: string;
  readonly workflowName: string;
  readonly timezone: string;
  readonly missed: "skip" | "backfill";
  readonly maxBackfill: number;
  readonly queueName: string | undefined;
  readonly partitionKey: string | undefined;
  readonly context: unknown;
  readonly paused: boolean;
  /** The latest tick fired, if any. */
  readonly lastTickAt: Date | undefined;
  /** When the next tick falls (even when paused). */
  readonly nextTickAt: Date;
  readonly createdAt: Date;
  readonly updatedAt: Date;
}

/** Runtime management of stored schedules. */
export interface ScheduleControl {
  /**
   * Stores a schedule; engines that register its workflow fire it from their next poll.
   * @throws ScheduleExistsError, CronExpressionInvalidError, InvalidOptionError
   * @example
   * await queues.createSchedule({
   *   name: "report:acme", cron: "0 6 * * *", workflow: report,
   *   timezone: "Europe/Paris", context: { tenant: "acme" },
   * });
   */
  createSchedule(options: StoredScheduleOptions): Promise<ScheduleInfo>;
  /** Changes a stored schedule. @throws ScheduleNotFoundError, and as createSchedule */
  updateSchedule(name: string, changes: ScheduleChanges): Promise<ScheduleInfo>;
  /** Deletes a stored schedule (its past runs stay). @throws ScheduleNotFoundError */
  deleteSchedule(name: string): Promise<void>;
  /** Stops firing ticks until resumed (ticks in between are missed). */
  pauseSchedule(name: string): Promise<ScheduleInfo>;
  resumeSchedule(name: string): Promise<ScheduleInfo>;
  /** Starts a run now, outside the cron (paused or not), with `scheduledAt` = now. */
  triggerSchedule(name: string): Promise<WorkflowHandle<unknown>>;
  /**
   * Creates the runs of every tick from `from` to `to` (both included), oldest first. Ticks that
   * already ran keep their run. Returns the runs' workflow IDs.
   */
  backfillSchedule(
    name: string,
    range: { readonly from: Date; readonly to: Date },
  ): Promise<string[]>;
  getSchedule(name: string): Promise<ScheduleInfo | undefined>;
  listSchedules(): Promise<ScheduleInfo[]>;
}

/** Starts (or enqueues) a stored schedule's run; the engine and the client each have one. */
export type StartRun = (
  schedule: StoredSchedule,
  run: ScheduledRun,
  workflowId: string,
) => Promise<WorkflowHandle<unknown>>;

/** What schedule control needs from the process it runs in. */
export interface ScheduleControlDeps {
  readonly store: QueueStore;
  readonly startRun: StartRun;
  readonly assertOpen: (operation: string) => void;
  /** Stored schedules changed here: this engine re-reads them before the change resolves. */
  readonly changed?: () => Promise<void>;
}

/** Creates the schedule control over `deps.store`. */
export function createScheduleControl(deps: ScheduleControlDeps): ScheduleControl {
  const { store, assertOpen } = deps;
  const found = async (name: string): Promise<StoredSchedule> => {
    const stored = await store.getSchedule(name);
    if (!stored) throw new ScheduleNotFoundError(name);
    return stored;
  };
  const update = async (name: string, changes: ScheduleChanges): Promise<ScheduleInfo> => {
    for (;;) {
      const current = await found(name);
      const next = await toNewSchedule(store, { ...optionsOf(current), ...changes, name });
      const updated = await store.updateSchedule(next, current.revision);
      if (updated) {
        await deps.changed?.();
        return scheduleInfo(updated);
      }
    }
  };
  return {
    async createSchedule(options) {
      assertOpen("createSchedule");
      const schedule = await toNewSchedule(store, options);
      if (!(await store.createSchedule(schedule))) throw new ScheduleExistsError(schedule.name);
      await deps.changed?.();
      return scheduleInfo(await found(schedule.name));
    },
    updateSchedule: (name, changes) => {
      assertOpen("updateSchedule");
      return update(name, changes);
    },
    async deleteSchedule(name) {
      assertOpen("deleteSchedule");
      if (!(await store.deleteSchedule(name))) throw new ScheduleNotFoundError(name);
      await deps.changed?.();
    },
    pauseSchedule: (name) => {
      assertOpen("pauseSchedule");
      return update(name, { paused: true });
    },
    resumeSchedule: (name) => {
      assertOpen("resumeSchedule");
      return update(name, { paused: false });
    },
    async triggerSchedule(name) {
      assertOpen("triggerSchedule");
      const schedule = await found(name);
      const run = runOf(schedule, Date.now());
      return deps.startRun(schedule, run, `cron:${name}:now:${randomUUID()}`);
    },
    async backfillSchedule(name, range) {
      assertOpen("backfillSchedule");
      const schedule = await found(name);
      const ids: string[] = [];
      for (const tick of ticksBetween(schedule, range)) {
        const handle = await deps.startRun(
          schedule,
          runOf(schedule, tick),
          tickWorkflowId(name, tick),
        );
        ids.push(handle.workflowId);
      }
      return ids;
    },
    async getSchedule(name) {
      assertOpen("getSchedule");
      const stored = await store.getSchedule(name);
      return stored && scheduleInfo(stored);
    },
    async listSchedules() {
      assertOpen("listSchedules");
      return (await store.listSchedules()).map(scheduleInfo);
    },
  };
}

/** The input of a stored schedule's run at `tickAt`. */
export function runOf(schedule: StoredSchedule, tickAt: number): ScheduledRun {
  return {
    scheduledAt: new Date(tickAt),
    scheduleName: schedule.name,
    ...(schedule.context === undefined ? {} : { context: deserialize(schedule.context) }),
  };
}

/** The first tick of a stored schedule strictly after `after`. */
export function nextTickOf(schedule: StoredSchedule, after: number): number {
  return nextTick(parseCron(schedule.cron), after, schedule.timezone);
}

function ticksBetween(schedule: StoredSchedule, range: { from: Date; to: Date }): number[] {
  const from = range.from instanceof Date ? range.from.getTime() : Number.NaN;
  const to = range.to instanceof Date ? range.to.getTime() : Number.NaN;
  if (!Number.isFinite(from) || !Number.isFinite(to) || from > to) {
    throw new InvalidOptionError("range", "expected valid Dates with from <= to");
  }
  const fields = parseCron(schedule.cron);
  const ticks: number[] = [];
  for (let t = nextTick(fields, from - 1, schedule.timezone); t <= to;) {
    ticks.push(t);
    if (ticks.length > MAX_BACKFILL_TICKS) {
      throw new InvalidOptionError(
        "range",
        `more than ${MAX_BACKFILL_TICKS} ticks: backfill it in parts`,
      );
    }
    t = nextTick(fields, t, schedule.timezone);
  }
  return ticks;
}

function optionsOf(s: StoredSchedule): StoredScheduleOptions {
  return {
    name: s.name,
    cron: s.cron,
    workflow: s.workflowName,
    timezone: s.timezone,
    missed: s.missed,
    maxBackfill: s.maxBackfill,
    paused: s.paused,
    ...(s.queueName === undefined ? {} : { queue: s.queueName }),
    ...(s.partitionKey === undefined ? {} : { partitionKey: s.partitionKey }),
    ...(s.context === undefined ? {} : { context: deserialize(s.context) }),
  };
}

/** Validates options (changes merged in) and builds the row; `null`s mean "none". */
async function toNewSchedule(
  store: QueueStore,
  options: StoredScheduleOptions | (ScheduleChanges & { name: string }),
): Promise<NewStoredSchedule> {
  const { name } = options;
  if (typeof name !== "string" || name.length === 0 || name.length > 200) {
    throw new InvalidOptionError("name", "a schedule name is a string of 1 to 200 characters");
  }
  const cron = options.cron ?? "";
  const fields = parseCron(cron);
  const timezone = options.timezone ?? "UTC";
  checkTimeZone(timezone);
  nextTick(fields, Date.now(), timezone); // throws now for an expression that never fires
  const missed = options.missed ?? "skip";
  if (missed !== "skip" && missed !== "backfill") {
    throw new InvalidOptionError("missed", `expected "skip" or "backfill", got ${String(missed)}`);
  }
  const maxBackfill = options.maxBackfill ?? 100;
  checkCount(maxBackfill, "maxBackfill");
  const workflowName =
    typeof options.workflow === "string" ? options.workflow : options.workflow?.name;
  if (typeof workflowName !== "string" || workflowName === "") {
    throw new InvalidOptionError("workflow", "expected a workflow or its name");
  }
  const queueName = typeof options.queue === "string" ? options.queue : options.queue?.name;
  const partitionKey = options.partitionKey ?? undefined;
  if (queueName === undefined) {
    if (partitionKey !== undefined)
      throw new InvalidOptionError("partitionKey", "only with a queue");
  } else {
    await checkPartition(store, queueName, partitionKey);
  }
  if (options.paused !== undefined && typeof options.paused !== "boolean") {
    throw new InvalidOptionError("paused", "expected a boolean");
  }
  return {
    name,
    cron,
    workflowName,
    timezone,
    missed,
    maxBackfill,
    queueName,
    partitionKey,
    context:
      options.context === undefined || options.context === null
        ? undefined
        : serialize(options.context, `context of schedule "${name}"`),
    paused: options.paused ?? false,
  };
}

function scheduleInfo(s: StoredSchedule): ScheduleInfo {
  return {
    name: s.name,
    cron: s.cron,
    workflowName: s.workflowName,
    timezone: s.timezone,
    missed: s.missed,
    maxBackfill: s.maxBackfill,
    queueName: s.queueName,
    partitionKey: s.partitionKey,
    context: s.context === undefined ? undefined : deserialize(s.context),
    paused: s.paused,
    lastTickAt: s.lastTickAt === undefined ? undefined : new Date(s.lastTickAt),
    nextTickAt: new Date(nextTickOf(s, Date.now())),
    createdAt: new Date(s.createdAt),
    updatedAt: new Date(s.updatedAt),
  };
}
