/**
 * What an enqueue means, shared by the engine's queue runtime (which knows the queue's
 * definition and the workflow's schema) and a client (which knows only names): checking the
 * options against what is known of the queue, and turning the store's outcome into a workflow
 * ID or a typed error. A client learns whether a queue is partitioned from the row its serving
 * processes record; a queue no process has served yet takes any partition key.
 */
import {
  assertAttributes,
  InvalidOptionError,
  WorkflowConflictError,
  type WorkflowAttributes,
} from "@cairn/core";
import {
  DuplicateDedupIdError,
  EnqueueItemsInvalidError,
  type InvalidEnqueueItem,
} from "../errors.js";
import { checkMs, type DebounceOptions, type EnqueueOptions } from "../queue.js";
import type { EnqueueResult, NewQueueItem, QueueStore } from "../queue-store.js";
import { checkPriority } from "./queue-control.js";

/** The item fields an enqueue's options give. */
export interface EnqueueFields {
  readonly priority: number;
  readonly partitionKey: string;
  readonly dedupId?: string;
  readonly delayMs?: number;
  readonly availableAt?: number;
  readonly timeoutMs?: number;
}

/**
 * Validates the options an enqueue shares with a debounce. `partitioned` undefined: not known
 * (a client enqueueing on a queue no process has served yet) — any key is taken.
 */
export function checkEnqueueOptions(
  queueName: string,
  partitioned: boolean | undefined,
  options: EnqueueOptions | DebounceOptions,
): EnqueueFields {
  const priority = options.priority ?? 0;
  checkPriority(priority);
  const { partitionKey } = options;
  checkPartitionKey(queueName, partitioned, partitionKey);
  const item = { priority, partitionKey: partitionKey ?? "" };
  if (!(
    "dedupId" in options ||
    "delayMs" in options ||
    "startAt" in options ||
    "timeoutMs" in options
  )) {
    return item;
  }
  const enqueue = options;
  if (
    enqueue.dedupId !== undefined &&
    (typeof enqueue.dedupId !== "string" || enqueue.dedupId === "")
  ) {
    throw new InvalidOptionError("dedupId", "expected a non-empty string");
  }
  checkMs(enqueue.delayMs, "delayMs");
  checkMs(enqueue.timeoutMs, "timeoutMs", true);
  if (
    enqueue.startAt !== undefined &&
    !(enqueue.startAt instanceof Date && Number.isFinite(enqueue.startAt.getTime()))
  ) {
    throw new InvalidOptionError("startAt", "expected a valid Date");
  }
  return {
    ...item,
    ...(enqueue.dedupId === undefined ? {} : { dedupId: enqueue.dedupId }),
    ...(enqueue.delayMs === undefined ? {} : { delayMs: enqueue.delayMs }),
    ...(enqueue.startAt === undefined ? {} : { availableAt: enqueue.startAt.getTime() }),
    ...(enqueue.timeoutMs === undefined ? {} : { timeoutMs: enqueue.timeoutMs }),
  };
}

/** The validated `attributes` of an enqueue's or a debounce's options, to spread into its row. */
export function attributesOf(options: { readonly attributes?: WorkflowAttributes }): {
  readonly attributes?: WorkflowAttributes;
} {
  return options.attributes === undefined
    ? {}
    : { attributes: assertAttributes(options.attributes) };
}

function checkPartitionKey(
  queueName: string,
  partitioned: boolean | undefined,
  partitionKey: string | undefined,
): void {
  if (partitionKey !== undefined && (typeof partitionKey !== "string" || partitionKey === "")) {
    throw new InvalidOptionError("partitionKey", "expected a non-empty string");
  }
  if (partitioned === true && partitionKey === undefined) {
    throw new InvalidOptionError(
      "partitionKey",
      `queue "${queueName}" is partitioned: name a partition`,
    );
  }
  if (partitioned === false && partitionKey !== undefined) {
    throw new InvalidOptionError("partitionKey", `queue "${queueName}" is not partitioned`);
  }
}

/** Checks `partitionKey` against what the database knows of the queue. */
export async function checkPartition(
  store: QueueStore,
  queueName: string,
  partitionKey: string | undefined,
): Promise<void> {
  if (typeof queueName !== "string" || queueName === "") {
    throw new InvalidOptionError("queue", "expected a queue or its name");
  }
  checkPartitionKey(queueName, (await store.getQueue(queueName))?.partitioned, partitionKey);
}

/** Whether the database records `queueName` as partitioned; undefined when not known. */
export async function partitionedOf(
  store: QueueStore,
  queueName: string,
): Promise<boolean | undefined> {
  return (await store.getQueue(queueName))?.partitioned;
}

/**
 * The workflow an enqueue leads to: the new one, the one that held the ID (same name only), or
 * the live holder of the dedup ID (unless the caller rejects duplicates).
 * @throws WorkflowConflictError, DuplicateDedupIdError
 */
export function enqueuedWorkflow(
  result: EnqueueResult,
  queueName: string,
  workflowName: string,
  options: EnqueueOptions,
): { readonly workflowId: string; readonly name: string; readonly created: boolean } {
  const { workflowId, name } = result.workflow;
  switch (result.kind) {
    case "created":
      return { workflowId, name, created: true };
    case "exists":
      if (name !== workflowName) throw new WorkflowConflictError(workflowId, name, workflowName);
      return { workflowId, name, created: false };
    case "duplicate":
      if (options.onDuplicate === "reject") {
        throw new DuplicateDedupIdError(queueName, options.dedupId ?? "", workflowId);
      }
      return { workflowId, name, created: false };
  }
}

/**
 * The queue items of a bulk enqueue (an engine's `queue.enqueueMany`, a client's `enqueueMany`),
 * in order, each made by `itemOf` after the checks every item gets: an object, and no
 * `onDuplicate` (a duplicate in a batch gets the holder's handle). Every bad item is reported
 * at once, by index.
 * @throws InvalidOptionError when `items` is not an array; EnqueueItemsInvalidError naming
 *   every invalid item.
 */
export async function bulkItems<I extends object>(
  queueName: string,
  items: readonly I[],
  itemOf: (item: I) => NewQueueItem | Promise<NewQueueItem>,
): Promise<NewQueueItem[]> {
  const given: unknown = items; // from JavaScript, anything can arrive
  if (!Array.isArray(given)) throw new InvalidOptionError("items", "expected an array of items");
  const rows: NewQueueItem[] = [];
  const pending: { readonly index: number; readonly row: Promise<NewQueueItem> }[] = [];
  const invalid: InvalidEnqueueItem[] = [];
  for (let index = 0; index < items.length; index++) {
    const item = items[index] as I;
    try {
      if (typeof (item as unknown) !== "object" || (item as unknown) === null) {
        throw new InvalidOptionError("items", "expected an object { input, ...options }");
      }
      if ("onDuplicate" in item) {
        throw new InvalidOptionError(
          "onDuplicate",
          "enqueueMany gives a duplicate the holder's handle; use enqueue() to reject duplicates",
        );
      }
      const row = itemOf(item);
      if (row instanceof Promise) pending.push({ index, row });
      else rows[index] = row;
    } catch (error) {
      invalid.push({ index, error });
    }
  }
  // Rows made asynchronously (input validation) are awaited together, not one turn per item.
  if (pending.length > 0) {
    const settled = await Promise.allSettled(pending.map(({ row }) => row));
    settled.forEach((result, i) => {
      const { index } = pending[i] as (typeof pending)[number];
      if (result.status === "fulfilled") rows[index] = result.value;
      else invalid.push({ index, error: result.reason });
    });
    invalid.sort((a, b) => a.index - b.index);
  }
  const [first, ...rest] = invalid;
  if (first) throw new EnqueueItemsInvalidError(queueName, [first, ...rest]);
  return rows;
}
