/**
 * A queue: a named, durable backlog of workflows with flow control. `defineQueue` only describes
 * it (name and limits); the work happens in the engine's queue runtime (`createQueues`), which
 * writes enqueued workflows to the store and, in processes that serve the queue, claims and runs
 * them without ever breaking the limits. The same definition is imported by processes that only
 * enqueue (a web server) and by those that serve (workers).
 */
import {
  InvalidOptionError,
  type ChannelSchemas,
  type Engine,
  type EnginePlugin,
  type Workflow,
  type WorkflowAttributes,
  type WorkflowHandle,
} from "@cairn/core";
import { QueuesNotConfiguredError } from "./errors.js";
import type { QueueCounts } from "./queue-store.js";

/** Limits of a queue. Every one is optional; absent means unlimited. */
export interface QueueOptions {
  /**
   * Workflows of this queue running at once across all processes; on a partitioned queue, in
   * each partition.
   */
  readonly concurrency?: number;
  /**
   * Workflows running at once across all processes and all partitions: a queue-wide cap beside
   * the per-partition `concurrency` of a partitioned queue.
   */
  readonly totalConcurrency?: number;
  /** Workflows of this queue running at once in one process. */
  readonly workerConcurrency?: number;
  /** At most `limit` starts in any sliding window of `periodMs`, across all processes. */
  readonly rateLimit?: { readonly limit: number; readonly periodMs: number };
  /**
   * When true, every enqueue names a `partitionKey` (a tenant, a customer), and `concurrency`
   * and `rateLimit` apply to each partition separately. `workerConcurrency` still caps the
   * whole queue in one process. Default false.
   */
  readonly partitioned?: boolean;
}

/** Options of `queue.enqueue()`. */
export interface EnqueueOptions {
  /** The workflow ID; enqueueing an ID that exists returns that workflow. Default: a UUID. */
  readonly id?: string;
  /** Lower runs first; FIFO within a priority. An integer; default 0. */
  readonly priority?: number;
  /**
   * While a workflow with this key is enqueued or running on this queue, another enqueue with
   * it does not create a workflow: it returns the existing one's handle, or rejects with
   * `DuplicateDedupIdError` (see `onDuplicate`). The key is free again once that one finishes.
   */
  readonly dedupId?: string;
  /** What a duplicate `dedupId` does. Default `"return"`: the existing workflow's handle. */
  readonly onDuplicate?: "return" | "reject";
  /** Not started before this many milliseconds from now. */
  readonly delayMs?: number;
  /** Not started before this time (wins over `delayMs`). */
  readonly startAt?: Date;
  /** Required on a partitioned queue, refused on others. */
  readonly partitionKey?: string;
  /**
   * Cancel the workflow if it has not finished this long after it started (not enqueued).
   * Default: the engine's `workflowTimeoutMs`, if set (from a client: none).
   */
  readonly timeoutMs?: number;
  /**
   * A plain JSON object to find the workflow by (`listWorkflows({ attributes })`), as
   * `engine.start`'s: at most 16 KiB as JSON; a bad one is an `InvalidOptionError`.
   */
  readonly attributes?: WorkflowAttributes;
  /**
   * Enqueue inside your own open transaction on the store's database (postgres.js
   * `TransactionSql`, PGlite `Transaction`): the workflow exists if and only if that transaction
   * commits, and workers hear of it at the commit. Validation still happens before anything is
   * written. See docs/outbox.md.
   */
  readonly tx?: unknown;
}

/**
 * One item of `queue.enqueueMany()`: the workflow's input and this item's enqueue options.
 * `onDuplicate` is not offered: a duplicate gives the holder's handle (see `enqueueMany`).
 */
export interface EnqueueManyItem<In> extends Omit<EnqueueOptions, "tx" | "onDuplicate"> {
  readonly input: In;
}

/** Options of `queue.enqueueMany()` that apply to the whole call. */
export interface EnqueueManyOptions {
  /** Enqueue every item inside your own open transaction, as `EnqueueOptions.tx`. */
  readonly tx?: unknown;
}

/** Options of `queue.debounce()`. */
export interface DebounceOptions {
  /** Start this long after the latest call of the burst. */
  readonly periodMs: number;
  /** ...but no later than this long after its first call. Default: no cap. */
  readonly maxWaitMs?: number;
  readonly priority?: number;
  /** Required on a partitioned queue, refused on others. */
  readonly partitionKey?: string;
  /** The attributes of the burst's workflow, taken from the call that creates it. */
  readonly attributes?: WorkflowAttributes;
}

/** A queue's definition, with the operations that go through an engine's queue runtime. */
export interface Queue {
  readonly name: string;
  readonly options: QueueOptions;
  /**
   * Puts a workflow on the queue and returns its handle once the enqueue is durable. The input
   * is validated and serialized as `engine.start` does; nothing is written if it is invalid.
   * @throws ValidationError, InvalidOptionError, DuplicateDedupIdError (`onDuplicate: "reject"`),
   *   WorkflowConflictError (the ID belongs to a workflow of another name),
   *   QueuesNotConfiguredError (the engine has no `createQueues` plugin).
   */
  enqueue<In, Out, C extends ChannelSchemas>(
    engine: Engine,
    workflow: Workflow<In, Out, C>,
    input: In,
    options?: EnqueueOptions,
  ): Promise<WorkflowHandle<Out, C>>;
  /**
   * Puts many workflows on the queue at once and returns their handles, in order, once all are
   * durable. Every item is validated and serialized first: if any is invalid, nothing is
   * written and the call rejects with `EnqueueItemsInvalidError` naming each bad item's index.
   * The items are written all or none (in one transaction: yours with `options.tx`), a
   * thousand per statement, and become claimable in the order given (within a priority). Each
   * item's outcome is what enqueueing them one after another would give: an item whose `id`
   * exists (also an earlier item's) gets that workflow's handle; an item whose `dedupId` is
   * held by a live workflow (also an earlier item of the call) gets the holder's handle.
   * @throws EnqueueItemsInvalidError, WorkflowConflictError (an item's ID belongs to a workflow
   *   of another name; nothing is written), QueuesNotConfiguredError.
   */
  enqueueMany<In, Out, C extends ChannelSchemas>(
    engine: Engine,
    workflow: Workflow<In, Out, C>,
    items: readonly EnqueueManyItem<In>[],
    options?: EnqueueManyOptions,
  ): Promise<WorkflowHandle<Out, C>[]>;
  /**
   * Starts `workflow` once per burst of calls with the same `key`: `periodMs` after the latest
   * call (with the latest call's input), and no later than `maxWaitMs` after the first. Calls
   * after it started begin a new burst. Returns the handle of the burst's workflow.
   */
  debounce<In, Out, C extends ChannelSchemas>(
    engine: Engine,
    key: string,
    workflow: Workflow<In, Out, C>,
    input: In,
    options: DebounceOptions,
  ): Promise<WorkflowHandle<Out, C>>;
  /** The queue's workflows by status, and how many enqueued ones wait for their delay. */
  counts(engine: Engine): Promise<QueueCounts>;
}

/** What a queue needs from the engine's queue runtime (`createQueues`). */
export interface QueueOperations {
  enqueue(
    queue: Queue,
    workflow: Workflow<unknown, unknown>,
    input: unknown,
    options: EnqueueOptions,
  ): Promise<WorkflowHandle<unknown>>;
  enqueueMany(
    queue: Queue,
    workflow: Workflow<unknown, unknown>,
    items: readonly EnqueueManyItem<unknown>[],
    options: EnqueueManyOptions,
  ): Promise<WorkflowHandle<unknown>[]>;
  debounce(
    queue: Queue,
    key: string,
    workflow: Workflow<unknown, unknown>,
    input: unknown,
    options: DebounceOptions,
  ): Promise<WorkflowHandle<unknown>>;
  counts(queueName: string): Promise<QueueCounts>;
}

/** The kind of the queue runtime plugin: `engine.plugin(QUEUES_PLUGIN)`. */
export const QUEUES_PLUGIN = "cairn/queues";

/**
 * Defines a queue. Define each queue once, in a module that enqueuers and workers share, and
 * list it in `createQueues({ serve })` in the processes that should run its workflows.
 *
 * @example
 * const emails = defineQueue("emails", {
 *   concurrency: 50,
 *   workerConcurrency: 10,
 *   rateLimit: { limit: 100, periodMs: 60_000 },
 * });
 * const handle = await emails.enqueue(engine, sendEmail, { to: "a@example.com" });
 */
export function defineQueue(name: string, options: QueueOptions = {}): Queue {
  checkQueueName(name);
  checkQueueOptions(options);
  const frozen: QueueOptions = Object.freeze({ ...options });
  const queue: Queue = {
    name,
    options: frozen,
    enqueue: async (engine, workflow, input, enqueueOptions = {}) =>
      (await operationsOf(engine, `enqueue on "${name}"`).enqueue(
        queue,
        workflow as Workflow<unknown, unknown>,
        input,
        enqueueOptions,
      )) as never,
    enqueueMany: async (engine, workflow, items, manyOptions = {}) =>
      (await operationsOf(engine, `enqueueMany on "${name}"`).enqueueMany(
        queue,
        workflow as Workflow<unknown, unknown>,
        items,
        manyOptions,
      )) as never,
    debounce: async (engine, key, workflow, input, debounceOptions) =>
      (await operationsOf(engine, `debounce on "${name}"`).debounce(
        queue,
        key,
        workflow as Workflow<unknown, unknown>,
        input,
        debounceOptions,
      )) as never,
    counts: (engine) => operationsOf(engine, `count "${name}"`).counts(name),
  };
  return queue;
}

function operationsOf(engine: Engine, operation: string): QueueOperations {
  const runtime = engine.plugin<EnginePlugin & QueueOperations>(QUEUES_PLUGIN);
  if (!runtime) throw new QueuesNotConfiguredError(operation);
  return runtime;
}

/** Queue names: 1 to 200 characters. */
function checkQueueName(name: string): void {
  if (typeof name !== "string" || name.length === 0 || name.length > 200) {
    throw new InvalidOptionError("name", "a queue name is a string of 1 to 200 characters");
  }
}

/** A positive integer that fits Postgres' int4, or undefined. */
export function checkCount(value: number | undefined, option: string): void {
  if (value === undefined) return;
  if (!Number.isInteger(value) || value < 1 || value > 2 ** 31 - 1) {
    throw new InvalidOptionError(option, `expected a positive integer, got ${String(value)}`);
  }
}

/** A finite, non-negative number of milliseconds, or undefined. */
export function checkMs(value: number | undefined, option: string, positive = false): void {
  if (value === undefined) return;
  if (
    typeof value !== "number" ||
    !Number.isFinite(value) ||
    value < 0 ||
    (positive && value === 0)
  ) {
    throw new InvalidOptionError(
      option,
      `expected a ${positive ? "positive" : "non-negative"} number of milliseconds, got ${String(value)}`,
    );
  }
}

/** Validates limits (of a definition, or set at runtime). */
export function checkQueueOptions(options: QueueOptions): void {
  checkCount(options.concurrency, "concurrency");
  checkCount(options.totalConcurrency, "totalConcurrency");
  checkCount(options.workerConcurrency, "workerConcurrency");
  if (options.rateLimit !== undefined) {
    checkCount(options.rateLimit.limit, "rateLimit.limit");
    checkMs(options.rateLimit.periodMs, "rateLimit.periodMs", true);
  }
  if (options.partitioned !== undefined && typeof options.partitioned !== "boolean") {
    throw new InvalidOptionError("partitioned", "expected a boolean");
  }
}
