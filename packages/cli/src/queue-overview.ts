/**
 * What `cairn queues` and the dashboard's queues page show, gathered in one place: every queue
 * the database knows (recorded by a process that serves it, given runtime limits, or holding a
 * workflow), its waiting, delayed and running counts, what finished within the window, the
 * oldest wait, and the limits in force — the defined ones with any runtime change applied.
 */
import type { PgInspector } from "@cairn/pg-store/inspect";
import type { QueueCounts, QueueLimits, QueueRecord, QueueStore } from "@cairn/queue";
import { formatDuration } from "./output/time.js";

/** One queue as operators see it. */
export interface QueueOverview {
  readonly queueName: string;
  readonly enqueued: number;
  readonly delayed: number;
  readonly running: number;
  /** Finished (any final status) within the window. */
  readonly finishedRecently: number;
  readonly perMinute: number;
  readonly oldestWaitMs: number | null;
  readonly counts: QueueCounts;
  /** The limits in force; `{}`: unlimited (or never served). */
  readonly limits: QueueLimits;
  /** True when runtime limits replace some defined ones. */
  readonly limitsChanged: boolean;
  readonly partitioned: boolean | null;
}

/** Every known queue, by name. */
export async function loadQueueOverview(
  inspector: PgInspector,
  queues: QueueStore,
  windowMs: number,
): Promise<QueueOverview[]> {
  const [activity, records, now] = await Promise.all([
    inspector.listQueues({ windowMs }),
    queues.listQueues(),
    inspector.now(),
  ]);
  const byName = new Map(activity.map((a) => [a.queueName, a]));
  const recordOf = new Map(records.map((r) => [r.queueName, r]));
  const names = [...new Set([...byName.keys(), ...recordOf.keys()])].sort();
  return Promise.all(
    names.map(async (queueName) => {
      const seen = byName.get(queueName);
      const record = recordOf.get(queueName);
      const finishedRecently = seen?.finishedRecently ?? 0;
      const counts = await queues.counts(queueName);
      return {
        queueName,
        enqueued: seen?.enqueued ?? 0,
        delayed: counts.delayed,
        running: seen?.running ?? 0,
        finishedRecently,
        perMinute: Math.round((finishedRecently / windowMs) * 60_000 * 10) / 10,
        oldestWaitMs: seen?.oldestEnqueuedAt === undefined ? null : now - seen.oldestEnqueuedAt,
        counts,
        limits: limitsInForce(record),
        limitsChanged: record?.limits !== undefined && Object.keys(record.limits).length > 0,
        partitioned: record?.partitioned ?? null,
      };
    }),
  );
}

const LIMIT_KEYS = ["concurrency", "totalConcurrency", "workerConcurrency", "rateLimit"] as const;

/** The defined limits with the runtime patch applied (a number replaces, `null` lifts). */
function limitsInForce(record: QueueRecord | undefined): QueueLimits {
  const limits: Record<string, unknown> = {};
  for (const key of LIMIT_KEYS) {
    const patched = record?.limits?.[key];
    const value = patched === undefined ? record?.definedLimits?.[key] : patched;
    if (value !== undefined && value !== null) limits[key] = value;
  }
  return limits;
}

/** A rate-limit period: `1s`, `1m`, `1h` when whole, else as a duration. */
function period(ms: number): string {
  for (const [unit, size] of [
    ["h", 3_600_000],
    ["m", 60_000],
    ["s", 1_000],
  ] as const) {
    if (ms >= size && ms % size === 0) return `${ms / size}${unit}`;
  }
  return formatDuration(ms);
}

/** `concurrency 3, total 10, worker 2, 4 per 1s`, or `-` when unlimited. */
export function describeLimits(limits: QueueLimits): string {
  const parts = [
    limits.concurrency !== undefined && `concurrency ${limits.concurrency}`,
    limits.totalConcurrency !== undefined && `total ${limits.totalConcurrency}`,
    limits.workerConcurrency !== undefined && `worker ${limits.workerConcurrency}`,
    limits.rateLimit && `${limits.rateLimit.limit} per ${period(limits.rateLimit.periodMs)}`,
  ].filter((part): part is string => typeof part === "string");
  return parts.length === 0 ? "-" : parts.join(", ");
}
