/**
 * The memory queue claim, step for step the SQL claim of `@cairn/pg-store` (one process, so no
 * lock is needed to serialize claims):
 *
 * 1. per partition: what runs, what started in the rate window, and the room the tightest
 *    limit leaves;
 * 2. the heads of each partition's waiting items, in priority then FIFO order, interleaved
 *    across partitions and cut to the executor's and the whole queue's room;
 * 3. running items of executors that are gone go back to the queue, counted as recoveries (a
 *    workflow past its `maxRecoveryAttempts` without progress is dead-lettered instead). A
 *    memory store lives in one process, so as on PGlite every other executor counts as gone;
 * 4. the chosen workflows become `PENDING`, owned by the claimer at a new epoch;
 * 5. the claim says whether claimable items were left waiting (`more`).
 */
import { QUEUED_EXECUTOR, type WorkflowRecord } from "@cairn/core";
import type {
  ClaimRequest,
  ClaimResult,
  QueueLimits,
  QueueLimitsPatch,
} from "../../queue-store.js";
import type { MemoryQueueItem, MemoryQueueTables } from "./queue-tables.js";

/** Claims from one queue within its limits. */
export function claimFromMemory(t: MemoryQueueTables, request: ClaimRequest): ClaimResult {
  const now = t.now();
  const limits = appliedLimits(request.limits, t.queues.get(request.queueName)?.limits);
  const items = t.itemsOf(request.queueName);
  // Decided on the state before the claim, as the SQL statement sees its snapshot: what goes
  // back now still counts as running and is claimable from the next claim on.
  const partitions = partitionState(t, items, request.executorId, limits, now);
  const { chosen, more } = choose(t, items, partitions, request, limits, now);
  const retryInMs = nextChance(t, items, partitions, limits, now);
  const { requeued, deadLettered } = requeueGone(t, items, request);
  const claimed = chosen.map((item) => claimOne(t, item, request.executorId, now));
  return {
    claimed,
    more,
    requeued,
    deadLettered,
    ...(retryInMs === undefined ? {} : { retryInMs }),
    limits,
  };
}

/** The request's limits with the runtime ones in their place (`null` lifts one). */
function appliedLimits(defined: QueueLimits, runtime: QueueLimitsPatch | undefined) {
  const limits: Record<string, unknown> = {
    concurrency: defined.concurrency,
    totalConcurrency: defined.totalConcurrency,
    workerConcurrency: defined.workerConcurrency,
    rateLimit: defined.rateLimit,
  };
  for (const [key, value] of Object.entries(runtime ?? {})) limits[key] = value ?? undefined;
  return Object.fromEntries(
    Object.entries(limits).filter(([, value]) => value !== undefined),
  ) as QueueLimits;
}

/** Step 3: running items whose executor is gone go back to the queue, or to `DEAD_LETTER`. */
function requeueGone(t: MemoryQueueTables, items: MemoryQueueItem[], request: ClaimRequest) {
  let requeued = 0;
  const deadLettered: WorkflowRecord[] = [];
  for (const item of items) {
    const stored = item.startedAt === undefined ? undefined : t.workflow(item.workflowId);
    if (!stored || stored.record.status !== "PENDING") continue;
    const { executorId, ownerEpoch, name } = stored.record;
    if (executorId === request.executorId) continue; // one process: every other one is gone
    const progress = t.store.steps.get(item.workflowId)?.size ?? 0;
    const attempts = progress > stored.recoveryProgress ? 1 : stored.record.recoveryAttempts + 1;
    stored.recoveryProgress = progress;
    const limit = request.maxRecoveryAttempts?.[name] ?? Number.POSITIVE_INFINITY;
    const patch = { recoveryAttempts: attempts, ownerEpoch: ownerEpoch + 1 };
    if (attempts > limit) {
      // It stays started, so its start keeps counting in the rate window.
      const executor = { executorId: request.executorId };
      deadLettered.push(t.store.update(stored, { ...patch, ...executor, status: "DEAD_LETTER" }));
      continue;
    }
    t.store.update(stored, {
      ...patch,
      status: "ENQUEUED",
      executorId: QUEUED_EXECUTOR,
      startedAt: undefined,
    });
    requeued += 1;
    item.previousStartedAt = item.startedAt;
    item.startedAt = undefined;
  }
  return { requeued, deadLettered };
}

interface Partition {
  running: number;
  mine: number;
  /** Starts (and earlier starts of items that went back) within the rate window. */
  starts: number[];
}

/** Step 1: what runs and what started, per partition key. */
function partitionState(
  t: MemoryQueueTables,
  items: MemoryQueueItem[],
  executorId: string,
  limits: QueueLimits,
  now: number,
): Map<string, Partition> {
  const partitions = new Map<string, Partition>();
  const of = (key: string): Partition => {
    let p = partitions.get(key);
    if (!p) partitions.set(key, (p = { running: 0, mine: 0, starts: [] }));
    return p;
  };
  const windowStart = limits.rateLimit && now - limits.rateLimit.periodMs;
  for (const item of items) {
    const p = of(item.partitionKey);
    const record = t.workflow(item.workflowId)?.record;
    if (item.startedAt !== undefined && record?.status === "PENDING") {
      p.running += 1;
      if (record.executorId === executorId) p.mine += 1;
    }
    if (windowStart === undefined) continue;
    for (const at of [item.startedAt, item.previousStartedAt]) {
      if (at !== undefined && at >= windowStart) p.starts.push(at);
    }
  }
  return partitions;
}

/** Step 2: the heads of the partitions with room, interleaved, cut to the queue's room. */
function choose(
  t: MemoryQueueTables,
  items: MemoryQueueItem[],
  partitions: Map<string, Partition>,
  request: ClaimRequest,
  limits: QueueLimits,
  now: number,
): { chosen: MemoryQueueItem[]; more: boolean } {
  const claimable = items
    .filter((item) => claimableNow(t, item, request, now))
    .sort((a, b) => a.priority - b.priority || a.seq - b.seq);
  const picked: { item: MemoryQueueItem; turn: number }[] = [];
  const byPartition = new Map<string, MemoryQueueItem[]>();
  for (const item of claimable) {
    byPartition.set(item.partitionKey, [...(byPartition.get(item.partitionKey) ?? []), item]);
  }
  for (const [key, heads] of byPartition) {
    const p = partitions.get(key) ?? { running: 0, mine: 0, starts: [] };
    const room = Math.min(
      request.max,
      (limits.concurrency ?? Infinity) - p.running,
      (limits.rateLimit?.limit ?? Infinity) - p.starts.length,
    );
    heads.slice(0, Math.max(0, room)).forEach((item, turn) => picked.push({ item, turn }));
  }
  const all = [...partitions.values()];
  const sum = (pick: (p: Partition) => number) => all.reduce((n, p) => n + pick(p), 0);
  const total = Math.min(
    request.max,
    (limits.workerConcurrency ?? Infinity) - sum((p) => p.mine),
    (limits.totalConcurrency ?? Infinity) - sum((p) => p.running),
  );
  const chosen = picked
    .sort((a, b) => a.turn - b.turn || a.item.priority - b.item.priority || a.item.seq - b.item.seq)
    .slice(0, Math.max(0, total))
    .map((p) => p.item);
  return { chosen, more: claimable.length > chosen.length };
}

/** Waiting, due, of a name the claimer runs, and of a version it may run. */
function claimableNow(
  t: MemoryQueueTables,
  item: MemoryQueueItem,
  request: ClaimRequest,
  now: number,
): boolean {
  const record = t.workflow(item.workflowId)?.record;
  return (
    record !== undefined &&
    t.waiting(item) &&
    item.availableAt <= now &&
    !request.excludeNames.includes(record.name) &&
    t.store.versionAllowed(record, request.appVersion)
  );
}

/** Step 4: the workflow runs, owned by the claimer. */
function claimOne(
  t: MemoryQueueTables,
  item: MemoryQueueItem,
  executorId: string,
  now: number,
): WorkflowRecord {
  const stored = t.workflow(item.workflowId);
  if (!stored) throw new Error(`memory queue store: ${item.workflowId} vanished while claimed`);
  item.startedAt = now;
  item.debounceKey = undefined; // a started item no longer holds its debounce key
  return t.store.update(stored, {
    status: "PENDING",
    executorId,
    ownerEpoch: stored.record.ownerEpoch + 1,
    startedAt: now,
    ...(item.timeoutMs === undefined ? {} : { deadlineAt: now + item.timeoutMs }),
  });
}

/** When the queue is worth claiming again: the next delayed item, or a freed rate slot. */
function nextChance(
  t: MemoryQueueTables,
  items: MemoryQueueItem[],
  partitions: Map<string, Partition>,
  limits: QueueLimits,
  now: number,
): number | undefined {
  const waits: number[] = [];
  for (const item of items) {
    if (t.waiting(item) && item.availableAt > now) waits.push(item.availableAt - now);
  }
  const { rateLimit } = limits;
  if (rateLimit) {
    for (const p of partitions.values()) {
      if (p.starts.length >= rateLimit.limit) {
        waits.push(Math.min(...p.starts) + rateLimit.periodMs - now);
      }
    }
  }
  return waits.length === 0 ? undefined : Math.max(1, Math.min(...waits));
}
