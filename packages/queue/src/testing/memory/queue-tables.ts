/**
 * The memory queue store's tables — queue items, queues, schedules — kept beside a memory
 * workflow store's tables (`MemoryStore.tables` of `@cairn/core/testing`), whose workflow rows
 * they point at, as `queue_items` points at `workflows` in SQL. One set per workflow store, so
 * every queue store made over it (an engine's, a client's) sees the same queues. What is running
 * is never written down: it is read from the workflow's status, as in SQL. Unlike SQL, an item
 * stays until its workflow is deleted (no sweep: memory costs nothing to scan here), and a
 * cancelled or finished holder simply stops counting.
 */
import type { ForkQueue, WorkflowRecord } from "@cairn/core";
import type { MemoryTables, MemoryTablesExtension, StoredWorkflow } from "@cairn/core/testing";
import type { QueueLimitsPatch, QueueDefinitionRecord, StoredSchedule } from "../../queue-store.js";

/** A workflow's place in its queue. */
export interface MemoryQueueItem {
  readonly workflowId: string;
  readonly queueName: string;
  readonly partitionKey: string;
  priority: number;
  /** Enqueue order: FIFO within a priority. */
  readonly seq: number;
  dedupId: string | undefined;
  debounceKey: string | undefined;
  /** A debounced item never becomes available later than this. */
  readonly debounceUntil: number | undefined;
  /** Not claimable before this (store clock). */
  availableAt: number;
  readonly timeoutMs: number | undefined;
  /** Set by a claim; cleared when the item goes back to the queue. */
  startedAt: number | undefined;
  /** The start before the item went back: it still counts against the rate limit. */
  previousStartedAt: number | undefined;
}

/** A queue as recorded: its serving processes' definition and the limits set at runtime. */
export interface MemoryQueueRow {
  definition: QueueDefinitionRecord | undefined;
  limits: QueueLimitsPatch | undefined;
  updatedAt: number;
}

/** A schedule's row: only ticks for one defined in code; a stored one has a definition. */
export interface MemoryScheduleRow {
  lastTickAt: number | undefined;
  stored: Omit<StoredSchedule, "lastTickAt"> | undefined;
}

const byTables = new WeakMap<MemoryTables, MemoryQueueTables>();

/** Workflows still in their queue: waiting or running. */
const LIVE = new Set(["ENQUEUED", "PENDING"]);

/** The queue tables of a memory workflow store's tables. */
export class MemoryQueueTables implements MemoryTablesExtension {
  readonly items = new Map<string, MemoryQueueItem>();
  readonly queues = new Map<string, MemoryQueueRow>();
  readonly schedules = new Map<string, MemoryScheduleRow>();
  readonly listeners = new Set<(queueName: string) => void>();
  private seq = 0;
  readonly store: MemoryTables;

  private constructor(store: MemoryTables) {
    this.store = store;
  }

  /** The queue tables beside `store`, created (and registered with it) on first use. */
  static of(store: MemoryTables): MemoryQueueTables {
    let tables = byTables.get(store);
    if (!tables) {
      tables = new MemoryQueueTables(store);
      store.extensions.push(tables);
      byTables.set(store, tables);
    }
    return tables;
  }

  now(): number {
    return this.store.now();
  }

  nextSeq(): number {
    return (this.seq += 1);
  }

  /** Throws once the workflow store is closed (it closes the queue store with it). */
  enter(method: string): void {
    if (this.store.closed) throw new Error(`memory queue store: ${method} called after close()`);
  }

  workflow(workflowId: string): StoredWorkflow | undefined {
    return this.store.workflows.get(workflowId);
  }

  statusOf(workflowId: string): WorkflowRecord["status"] | undefined {
    return this.workflow(workflowId)?.record.status;
  }

  /** Still enqueued or running: holds its dedup key and counts in its queue. */
  live(item: MemoryQueueItem): boolean {
    return LIVE.has(this.statusOf(item.workflowId) ?? "");
  }

  /** Waiting in its queue: not started, and its workflow `ENQUEUED` (not cancelled). */
  waiting(item: MemoryQueueItem): boolean {
    return item.startedAt === undefined && this.statusOf(item.workflowId) === "ENQUEUED";
  }

  /** The item holding `dedupId` on `queueName` (live or not yet released). */
  dedupHolder(queueName: string, dedupId: string): MemoryQueueItem | undefined {
    for (const item of this.items.values()) {
      if (item.queueName === queueName && item.dedupId === dedupId) return item;
    }
    return undefined;
  }

  itemsOf(queueName: string): MemoryQueueItem[] {
    return [...this.items.values()].filter((item) => item.queueName === queueName);
  }

  /** Tells the subscribers that `queueName` has work, in a microtask (as after a commit). */
  notify(queueName: string): void {
    const targets = [...this.listeners];
    queueMicrotask(() => {
      if (this.store.closed) return;
      for (const listener of targets) listener(queueName);
    });
  }

  // The workflow store's rules that must see queue items (MemoryTablesExtension).

  holds(workflowId: string): boolean {
    return this.items.has(workflowId);
  }

  /** A resumed queued workflow waits in its queue again, available at once. */
  resumes(workflowId: string): boolean {
    const item = this.items.get(workflowId);
    if (!item) return false;
    if (item.startedAt !== undefined) item.previousStartedAt = item.startedAt;
    item.startedAt = undefined;
    item.availableAt = this.now();
    // Its keys were freed when it finished: a newer workflow may hold them by now.
    item.dedupId = undefined;
    item.debounceKey = undefined;
    this.notify(item.queueName);
    return true;
  }

  /** A fork onto a queue waits in it like an enqueued workflow, available at once. */
  enqueuesFork(workflow: WorkflowRecord, queue: ForkQueue): boolean {
    this.items.set(workflow.workflowId, {
      workflowId: workflow.workflowId,
      queueName: queue.queueName,
      partitionKey: queue.partitionKey,
      priority: queue.priority,
      seq: this.nextSeq(),
      dedupId: undefined,
      debounceKey: undefined,
      debounceUntil: undefined,
      availableAt: this.now(),
      timeoutMs: queue.timeoutMs === undefined ? undefined : Math.round(queue.timeoutMs),
      startedAt: undefined,
      previousStartedAt: undefined,
    });
    this.notify(queue.queueName);
    return true;
  }

  deleted(workflowId: string): void {
    this.items.delete(workflowId);
  }
}
