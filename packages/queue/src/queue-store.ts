/**
 * The persistence contract of queues and schedules. `@cairn/queue` declares it (types only);
 * `@cairn/pg-store/queue` implements it on Postgres and PGlite beside the workflow store, on the
 * same connection. The queue runtime decides when to call what; the store makes each call one
 * atomic transition, and guarantees that claims never exceed a queue's limits however many
 * processes claim at once. Timestamps are epoch milliseconds on the store's clock.
 */
import type {
  CallerTransaction,
  Fence,
  NewWorkflow,
  SerializedValue,
  WorkflowOutcome,
  WorkflowRecord,
} from "@cairn/core";

/** The limits a claim must respect. Absent: unlimited. */
export interface QueueLimits {
  /** Running at once across all processes (per partition on a partitioned queue). */
  readonly concurrency?: number | undefined;
  /** Running at once across all processes and all partitions of the queue. */
  readonly totalConcurrency?: number | undefined;
  /** Running at once in the claiming executor, across the queue's partitions. */
  readonly workerConcurrency?: number | undefined;
  /** At most `limit` starts per sliding `periodMs` (per partition on a partitioned queue). */
  readonly rateLimit?: { readonly limit: number; readonly periodMs: number } | undefined;
}

/** A workflow to put on a queue. */
export interface NewQueueItem {
  /** The workflow row; the store writes it with status `ENQUEUED` and `queueName`. */
  readonly workflow: NewWorkflow;
  readonly queueName: string;
  /** Lower runs first; FIFO within a priority. */
  readonly priority: number;
  /** `""` on a queue that is not partitioned. */
  readonly partitionKey: string;
  /** While a workflow with this key on this queue is enqueued or running, enqueue finds it. */
  readonly dedupId?: string | undefined;
  /** Not claimable before this many ms from now (store clock). */
  readonly delayMs?: number | undefined;
  /** Not claimable before this epoch ms (caller's clock); wins over `delayMs`. */
  readonly availableAt?: number | undefined;
  /** The workflow's deadline is set to claim time plus this. */
  readonly timeoutMs?: number | undefined;
}

/** What an enqueue did. */
export type EnqueueResult =
  /** Written. */
  | { readonly kind: "created"; readonly workflow: WorkflowRecord }
  /** The workflow ID was taken; nothing was written. `workflow` is the row holding it. */
  | { readonly kind: "exists"; readonly workflow: WorkflowRecord }
  /** A live workflow (enqueued or running) holds the dedup ID; nothing was written. */
  | { readonly kind: "duplicate"; readonly workflow: WorkflowRecord };

/** A debounced workflow: one start per burst of calls with the same key. */
export interface DebounceItem {
  /** The workflow to create when no burst is waiting; its input replaces the waiting one's. */
  readonly workflow: NewWorkflow;
  readonly queueName: string;
  readonly key: string;
  readonly priority: number;
  readonly partitionKey: string;
  /** The waiting workflow becomes claimable this long after the latest call... */
  readonly periodMs: number;
  /** ...but no later than this long after the first call of the burst (`Infinity`: no cap). */
  readonly maxWaitMs: number;
}

/** What a debounce did: created the burst's workflow, or updated the waiting one. */
export interface DebounceResult {
  readonly workflowId: string;
  readonly created: boolean;
  /**
   * The waiting workflow's name. When it is not the requested workflow's, nothing changed: the
   * key is held by another workflow.
   */
  readonly name: string;
}

/** The outcome of a run the claimer ran, for a claim to record (`ClaimRequest.finishes`). */
export interface ClaimFinish {
  readonly outcome: WorkflowOutcome;
  /** Written only while the claimer still owns the workflow at this epoch. */
  readonly fence: Fence;
}

/**
 * What became of a finish: written, refused because another executor owns the workflow now
 * (`fenced`), or not written because the workflow was no longer PENDING (`stale`).
 */
export type ClaimFinishResult = "finished" | "fenced" | "stale";

/** One claim: up to `max` workflows of one queue, in priority then FIFO order. */
export interface ClaimRequest {
  readonly queueName: string;
  readonly executorId: string;
  /** Workflows of these names are left for other engines (the claimer does not register them). */
  readonly excludeNames: readonly string[];
  /** Version rule, as in core's takeover: this version, none, or one no alive executor runs. */
  readonly appVersion: string | undefined;
  readonly limits: QueueLimits;
  /** Limits apply per partition key. */
  readonly partitioned: boolean;
  /** At most this many, whatever the limits allow. */
  readonly max: number;
  /**
   * A workflow put back in the queue because its executor is gone counts as a recovery, as in
   * core's takeover: past its name's limit here without progress (no new checkpoint since its
   * previous recovery) it moves to `DEAD_LETTER` instead. A name not listed has no limit.
   */
  readonly maxRecoveryAttempts?: Readonly<Record<string, number>> | undefined;
  /**
   * Outcomes of runs of this queue's workflows the claimer ran, written in the claim's
   * transaction before it counts what runs (their slots are free for this very claim), as the
   * workflow store's `finishWorkflow` writes them (status notification included). Only for a
   * store with `finishesInClaim`.
   */
  readonly finishes?: readonly ClaimFinish[] | undefined;
}

/** What a claim got. */
export interface ClaimResult {
  /** Now `PENDING`, owned by the claimer at a new epoch: run them. */
  readonly claimed: readonly WorkflowRecord[];
  /**
   * The claimed workflows that have no recorded steps (most: they never ran), so their runs
   * start with an empty history and need not read it. Absent: not known, read every history.
   */
  readonly withoutSteps?: readonly string[] | undefined;
  /**
   * Whether items available now were left waiting (held back by a limit or by `max`; a store
   * may also count those of names or versions the claimer does not run). False: the claim took
   * all the queue had, so a run ending here need not claim again until something new arrives
   * (an enqueue notifies). Absent: not known (the runtime then claims again whenever a run of
   * the queue ends here).
   */
  readonly more?: boolean | undefined;
  /** Items of executors that are gone, put back in the queue by this claim. */
  readonly requeued: number;
  /** Workflows of executors that are gone, moved to `DEAD_LETTER` by this claim. */
  readonly deadLettered: readonly WorkflowRecord[];
  /**
   * When the queue is worth claiming again though nothing notifies it: the next delayed item
   * becomes available, or a rate-limit slot frees up. Milliseconds from now; absent: not known.
   */
  readonly retryInMs?: number | undefined;
  /** The limits the claim applied: the request's, with those set at runtime in their place. */
  readonly limits?: QueueLimits | undefined;
  /** What became of each of the request's `finishes`, in their order. */
  readonly finished?: readonly ClaimFinishResult[] | undefined;
  /**
   * Whether executors other than the claimer run workflows of the queue now. The runtime gives
   * its runs' outcomes to its claims only while it is alone on the queue: claims of a queue
   * wait for each other across processes, and an outcome should not wait for them. Absent:
   * not known (treated as shared).
   */
  readonly shared?: boolean | undefined;
}

/** Workflows of a queue by status, plus the enqueued ones whose delay has not passed. */
export interface QueueCounts {
  readonly ENQUEUED: number;
  readonly PENDING: number;
  readonly SUCCESS: number;
  readonly ERROR: number;
  readonly CANCELLED: number;
  readonly DEAD_LETTER: number;
  /** Of the `ENQUEUED`: those not claimable yet (delayed or debouncing). */
  readonly delayed: number;
}

/**
 * Limits set at runtime, one by one: a number replaces the defined limit, `null` lifts it
 * (unlimited), an absent key leaves the defined one in force.
 */
export type QueueLimitsPatch = {
  readonly [K in keyof QueueLimits]?: NonNullable<QueueLimits[K]> | null;
};

/** How a process that serves a queue defines it; recorded so clients and listings see it. */
export interface QueueDefinitionRecord {
  readonly queueName: string;
  readonly partitioned: boolean;
  readonly limits: QueueLimits;
}

/** A queue as the database knows it. */
export interface QueueRecord {
  readonly queueName: string;
  /** Undefined until a process that serves the queue started. */
  readonly partitioned: boolean | undefined;
  /** The limits in the code of the latest process that served it. */
  readonly definedLimits: QueueLimits | undefined;
  /** The limits set at runtime, in force in every process at its next claim. */
  readonly limits: QueueLimitsPatch | undefined;
  readonly updatedAt: number;
}

/** Where a change of a waiting workflow's start time puts it. */
export type NewAvailability =
  | { readonly delayMs: number }
  /** Epoch ms. */
  | { readonly availableAt: number };

/** A cron schedule stored in the database (created at runtime, not in code). */
export interface StoredSchedule {
  readonly name: string;
  readonly cron: string;
  readonly workflowName: string;
  readonly timezone: string;
  readonly missed: "skip" | "backfill";
  readonly maxBackfill: number;
  /** Each tick is enqueued on this queue; absent: started at once. */
  readonly queueName: string | undefined;
  readonly partitionKey: string | undefined;
  /** Passed to every run as `context`. */
  readonly context: SerializedValue | undefined;
  readonly paused: boolean;
  readonly lastTickAt: number | undefined;
  /** Goes up by one with every update: updates name the revision they change. */
  readonly revision: number;
  readonly createdAt: number;
  readonly updatedAt: number;
}

/** A stored schedule as written (the store stamps the times and the revision). */
export type NewStoredSchedule = Omit<
  StoredSchedule,
  "lastTickAt" | "revision" | "createdAt" | "updatedAt"
>;

/** What queues and schedules need from persistence. */
export interface QueueStore {
  /**
   * The claim records `ClaimRequest.finishes`: the runtime then writes the outcomes of the runs
   * it claimed with its next claim of their queue, one transaction and one round trip for both,
   * instead of one for each. Absent or false: runs finish through the workflow store.
   */
  readonly finishesInClaim?: boolean | undefined;
  /**
   * Writes an `ENQUEUED` workflow and its queue item and notifies the queue. One transaction:
   * the caller's own with `options.tx` (the enqueue then exists if and only if it commits).
   */
  enqueue(item: NewQueueItem, options?: CallerTransaction): Promise<EnqueueResult>;
  /**
   * Writes many items, all or none (one transaction: the caller's own with `options.tx`), with
   * one result per item in the order given. Each item's outcome is what enqueueing the items
   * one after another, in that order, would have given: a later item with the workflow ID of an
   * earlier one finds it (`exists`); a later item with the dedup ID of an earlier live one is its
   * `duplicate`. Items are claimable in the order given (within a priority). Notifies each queue
   * that got work.
   * @throws WorkflowConflictError when an item's ID is held by a workflow of another name (or
   *   would be, by an earlier item of the call): nothing is written.
   */
  enqueueMany(
    items: readonly NewQueueItem[],
    options?: CallerTransaction,
  ): Promise<EnqueueResult[]>;
  /** Creates the burst's waiting workflow, or gives the waiting one the new input and delay. */
  debounce(item: DebounceItem): Promise<DebounceResult>;
  /**
   * Moves up to `request.max` enqueued workflows to `PENDING`, owned by the claimer, never
   * exceeding the queue's limits however many executors claim at once. Also puts back in the
   * queue the items of executors that are gone, counting each as a recovery attempt (reset to 1
   * after progress) and dead-lettering those past `request.maxRecoveryAttempts`. One transaction.
   */
  claim(request: ClaimRequest): Promise<ClaimResult>;
  /**
   * Puts workflows this executor claimed and will not run back in their queue (`ENQUEUED`,
   * claimable by others at once). Only those it still owns and that are still `PENDING`.
   */
  release(workflowIds: readonly string[], executorId: string): Promise<void>;
  counts(queueName: string): Promise<QueueCounts>;
  /**
   * Calls `listener` with a queue's name when it got work (an enqueue that is claimable now).
   * Resolves once listening, with the function that stops.
   */
  subscribe(listener: (queueName: string) => void): Promise<() => Promise<void>>;
  /** The latest tick recorded for a schedule, or undefined if it never fired. */
  lastTick(scheduleName: string): Promise<number | undefined>;
  /** Records that a schedule fired for `tickAt` (keeps the latest). */
  recordTick(scheduleName: string, tickAt: number): Promise<void>;

  /** Records how serving processes define these queues; leaves runtime limits alone. */
  defineQueues(queues: readonly QueueDefinitionRecord[]): Promise<void>;
  /** Merges `patch` into the queue's runtime limits; `undefined` clears them all. */
  setQueueLimits(queueName: string, patch: QueueLimitsPatch | undefined): Promise<QueueRecord>;
  getQueue(queueName: string): Promise<QueueRecord | undefined>;
  listQueues(): Promise<QueueRecord[]>;
  /**
   * Sets the priority of a workflow still waiting in its queue (enqueued, not claimed).
   * False when it is not waiting.
   */
  setPriority(workflowId: string, priority: number): Promise<boolean>;
  /** Moves the start of a workflow still waiting in its queue; notifies the queue. */
  setAvailability(workflowId: string, when: NewAvailability): Promise<boolean>;

  /** Stores a new schedule; false when the name is taken (stored, or ticked by a code one). */
  createSchedule(schedule: NewStoredSchedule): Promise<boolean>;
  /**
   * Replaces a stored schedule's definition if it is still at `revision`; undefined when there
   * is none of that name or another update came first.
   */
  updateSchedule(
    schedule: NewStoredSchedule,
    revision: number,
  ): Promise<StoredSchedule | undefined>;
  /** Deletes a stored schedule; false when there was none. */
  deleteSchedule(name: string): Promise<boolean>;
  getSchedule(name: string): Promise<StoredSchedule | undefined>;
  listSchedules(): Promise<StoredSchedule[]>;
}
