/**
 * The checks and rows of a bulk enqueue (`queue.enqueueMany`), before anything is written: each
 * item's options are checked and its input validated and serialized exactly as a single enqueue
 * does, and every bad item is reported at once, by index, in one `EnqueueItemsInvalidError`. It
 * writes nothing itself; the runtime hands the rows to `QueueStore.enqueueMany`.
 */
import { randomUUID } from "node:crypto";
import {
  assertWorkflowId,
  QUEUED_EXECUTOR,
  type EnginePluginHost,
  type NewWorkflow,
  type TraceCarrier,
  type Workflow,
} from "@cairn/core";
import { attributesOf, bulkItems, checkEnqueueOptions } from "../control/enqueue-by-name.js";
import type { EnqueueManyItem, Queue } from "../queue.js";
import type { NewQueueItem } from "../queue-store.js";

/** `fields` with the engine's `workflowTimeoutMs` when they name no timeout of their own. */
export function withDefaultTimeout<F extends { readonly timeoutMs?: number | undefined }>(
  fields: F,
  host: EnginePluginHost,
): F {
  const { workflowTimeoutMs } = host;
  return fields.timeoutMs !== undefined || workflowTimeoutMs === undefined
    ? fields
    : { ...fields, timeoutMs: workflowTimeoutMs };
}

/** The row of a new enqueued workflow. */
export async function newQueuedWorkflow(
  host: EnginePluginHost,
  queue: Queue,
  workflow: Workflow<unknown, unknown>,
  input: unknown,
  workflowId: string,
  traceContext: TraceCarrier | undefined = host.traceContext(),
): Promise<NewWorkflow> {
  return {
    workflowId,
    name: workflow.name,
    input: await host.prepareInput(workflow, input),
    executorId: QUEUED_EXECUTOR,
    appVersion: host.appVersion,
    status: "ENQUEUED",
    queueName: queue.name,
    traceContext,
  };
}

/**
 * The queue items of `items`, in order.
 * @throws InvalidOptionError when `items` is not an array; EnqueueItemsInvalidError naming
 *   every invalid item.
 */
export async function queueItemsOf(
  host: EnginePluginHost,
  queue: Queue,
  workflow: Workflow<unknown, unknown>,
  items: readonly EnqueueManyItem<unknown>[],
): Promise<NewQueueItem[]> {
  const traceContext = host.traceContext();
  const partitioned = queue.options.partitioned === true;
  const { appVersion, workflowTimeoutMs } = host;
  const { name } = workflow;
  const queueName = queue.name;
  // Rows as literals of one shape (no spreads), so the statement's encoding reads them fast.
  return bulkItems(queueName, items, (item) => {
    const fields = checkEnqueueOptions(queueName, partitioned, item);
    const attributes = item.attributes === undefined ? undefined : attributesOf(item).attributes;
    const workflowId = item.id === undefined ? randomUUID() : assertWorkflowId(item.id);
    return host.prepareInput(workflow, item.input).then((input): NewQueueItem => ({
      workflow: {
        workflowId,
        name,
        input,
        executorId: QUEUED_EXECUTOR,
        appVersion,
        status: "ENQUEUED",
        queueName,
        traceContext,
        attributes,
      },
      queueName,
      priority: fields.priority,
      partitionKey: fields.partitionKey,
      dedupId: fields.dedupId,
      delayMs: fields.delayMs,
      availableAt: fields.availableAt,
      timeoutMs: fields.timeoutMs ?? workflowTimeoutMs,
    }));
  });
}
