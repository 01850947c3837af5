/**
 * What puts workflows on memory queues and changes them while they wait: enqueue (with dedup and
 * delay), debounce, release, counts, and the priority and start time of a waiting workflow. The
 * claim is `claim.ts`.
 */
import {
  InvalidOptionError,
  QUEUED_EXECUTOR,
  WorkflowConflictError,
  type CallerTransaction,
} from "@cairn/core";
import type { EnqueueResult, NewQueueItem, QueueCounts, QueueStore } from "../../queue-store.js";
import type { MemoryQueueItem, MemoryQueueTables } from "./queue-tables.js";

type ItemMethods = Pick<
  QueueStore,
  "enqueue" | "enqueueMany" | "debounce" | "release" | "counts" | "setPriority" | "setAvailability"
>;

export function memoryQueueItems(t: MemoryQueueTables): ItemMethods {
  return {
    async enqueue(item, options) {
      t.enter("enqueue");
      refuseTransaction(options);
      return enqueueOne(t, item);
    },

    async enqueueMany(items, options) {
      t.enter("enqueueMany");
      refuseTransaction(options);
      refuseConflicts(t, items); // all or none: checked before anything is written
      return items.map((item) => enqueueOne(t, item));
    },

    async debounce(item) {
      t.enter("debounce");
      const now = t.now();
      const waiting = t
        .itemsOf(item.queueName)
        .find((i) => i.debounceKey === item.key && t.waiting(i));
      const holder = waiting && t.workflow(waiting.workflowId);
      if (waiting && holder) {
        const { workflowId, name } = holder.record;
        if (name !== item.workflow.name) return { workflowId, created: false, name };
        waiting.availableAt = Math.min(now + item.periodMs, waiting.debounceUntil ?? Infinity);
        holder.record = { ...holder.record, input: item.workflow.input, updatedAt: now };
        return { workflowId, created: false, name };
      }
      const capped = Number.isFinite(item.maxWaitMs);
      const record = insertQueued(t, item, {
        availableAt: now + Math.min(item.periodMs, capped ? item.maxWaitMs : item.periodMs),
        debounceKey: item.key,
        debounceUntil: capped ? now + item.maxWaitMs : undefined,
      });
      return { workflowId: record.workflowId, created: true, name: record.name };
    },

    async release(workflowIds, executorId) {
      t.enter("release");
      const queues = new Set<string>();
      for (const workflowId of workflowIds) {
        const stored = t.workflow(workflowId);
        const item = t.items.get(workflowId);
        if (!stored || !item) continue;
        const { record } = stored;
        if (record.status !== "PENDING" || record.executorId !== executorId) continue;
        t.store.update(stored, {
          status: "ENQUEUED",
          executorId: QUEUED_EXECUTOR,
          ownerEpoch: record.ownerEpoch + 1,
          startedAt: undefined,
        });
        item.startedAt = undefined;
        queues.add(item.queueName);
      }
      for (const queueName of queues) t.notify(queueName);
    },

    async counts(queueName) {
      t.enter("counts");
      const counts = {
        ENQUEUED: 0,
        PENDING: 0,
        SUCCESS: 0,
        ERROR: 0,
        CANCELLED: 0,
        DEAD_LETTER: 0,
        delayed: 0,
      };
      for (const { record } of t.store.workflows.values()) {
        if (record.queueName === queueName) counts[record.status] += 1;
      }
      const now = t.now();
      counts.delayed = t
        .itemsOf(queueName)
        .filter((i) => t.waiting(i) && i.availableAt > now).length;
      return counts satisfies QueueCounts;
    },

    async setPriority(workflowId, priority) {
      t.enter("setPriority");
      const item = t.items.get(workflowId);
      const stored = t.workflow(workflowId);
      if (!item || !stored || !t.waiting(item)) return false;
      item.priority = priority;
      stored.record = { ...stored.record, priority }; // listings show it (not a state change)
      return true;
    },

    async setAvailability(workflowId, when) {
      t.enter("setAvailability");
      const item = t.items.get(workflowId);
      if (!item || !t.waiting(item)) return false;
      item.availableAt = "availableAt" in when ? when.availableAt : t.now() + when.delayMs;
      t.notify(item.queueName);
      return true;
    },
  };
}

/** One enqueue: the ID's holder, the dedup ID's live holder, or a new queued workflow. */
function enqueueOne(t: MemoryQueueTables, item: NewQueueItem): EnqueueResult {
  const existing = t.workflow(item.workflow.workflowId);
  if (existing) return { kind: "exists", workflow: existing.record };
  const holder =
    item.dedupId === undefined ? undefined : t.dedupHolder(item.queueName, item.dedupId);
  if (holder && t.live(holder)) {
    const workflow = t.workflow(holder.workflowId)?.record;
    if (workflow) return { kind: "duplicate", workflow };
  }
  if (holder) holder.dedupId = undefined; // its holder finished: the key is free
  const now = t.now();
  const workflow = insertQueued(t, item, {
    availableAt: item.availableAt ?? now + (item.delayMs ?? 0),
    dedupId: item.dedupId,
  });
  return { kind: "created", workflow };
}

/** Throws when an item's ID is (or, earlier in the call, would be) a workflow of another name. */
function refuseConflicts(t: MemoryQueueTables, items: readonly NewQueueItem[]): void {
  const names = new Map<string, string>();
  for (const { workflow } of items) {
    const holder = t.workflow(workflow.workflowId)?.record.name ?? names.get(workflow.workflowId);
    if (holder !== undefined && holder !== workflow.name) {
      throw new WorkflowConflictError(workflow.workflowId, holder, workflow.name);
    }
    names.set(workflow.workflowId, workflow.name);
  }
}

/** Writes the workflow `ENQUEUED` on its queue with its item, and notifies the queue. */
function insertQueued(
  t: MemoryQueueTables,
  item: Pick<NewQueueItem, "workflow" | "queueName" | "priority" | "partitionKey"> & {
    readonly timeoutMs?: number | undefined;
  },
  place: Partial<MemoryQueueItem> & { readonly availableAt: number },
) {
  const { workflow: inserted } = t.store.insertWorkflow(
    { ...item.workflow, status: "ENQUEUED", queueName: item.queueName },
    undefined,
  );
  const stored = t.workflow(inserted.workflowId);
  if (!stored) throw new Error(`memory queue store: ${inserted.workflowId} vanished at enqueue`);
  // The row shows the queue fields it was enqueued with, as listings read them.
  const workflow = (stored.record = {
    ...inserted,
    priority: item.priority,
    dedupId: place.dedupId,
    partitionKey: item.partitionKey === "" ? undefined : item.partitionKey,
  });
  t.items.set(workflow.workflowId, {
    workflowId: workflow.workflowId,
    queueName: item.queueName,
    partitionKey: item.partitionKey,
    priority: item.priority,
    seq: t.nextSeq(),
    dedupId: undefined,
    debounceKey: undefined,
    debounceUntil: undefined,
    timeoutMs: item.timeoutMs === undefined ? undefined : Math.round(item.timeoutMs),
    startedAt: undefined,
    previousStartedAt: undefined,
    ...place,
    availableAt: Math.round(place.availableAt),
  });
  t.notify(item.queueName);
  return workflow;
}

/** The memory store has no database transactions to write into. */
function refuseTransaction(options: CallerTransaction | undefined): void {
  if (options?.tx !== undefined) {
    throw new InvalidOptionError(
      "tx",
      "the memory queue store cannot write inside a database transaction",
    );
  }
}
