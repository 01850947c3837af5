/**
 * Queues from a client: a process that runs no engine and loads no workflow code (a web server,
 * a script) enqueues and debounces workflows by name, controls queues and stored schedules, and
 * gets handles it can await. `withQueues(client, store)` adds these operations to a core
 * `Client`; the workflow's type, imported with `import type`, types the input and the handle.
 * The client has no schema, so the input is stored as given: validate untrusted input first.
 */
import { randomUUID } from "node:crypto";
import {
  assertWorkflowId,
  InvalidOptionError,
  QUEUED_EXECUTOR,
  WorkflowConflictError,
  type AnyWorkflow,
  type Client,
  type HandleOf,
  type NewWorkflow,
  type WorkflowInput,
} from "@cairn/core";
import {
  attributesOf,
  bulkItems,
  checkEnqueueOptions,
  enqueuedWorkflow,
  partitionedOf,
} from "./control/enqueue-by-name.js";
import { createQueueControl, type QueueControl } from "./control/queue-control.js";
import {
  createScheduleControl,
  type ScheduleControl,
  type StartRun,
} from "./control/schedule-control.js";
import {
  checkMs,
  type DebounceOptions,
  type EnqueueManyItem,
  type EnqueueManyOptions,
  type EnqueueOptions,
} from "./queue.js";
import type { QueueStore } from "./queue-store.js";

/** Options of a client's `enqueue()`. */
export interface ClientEnqueueOptions extends EnqueueOptions {
  /** Only engines of this app version (or none alive of it) claim it. Default: any engine. */
  readonly appVersion?: string;
  /**
   * Enqueue it even when no live engine registers the workflow (one that does is about to be
   * deployed). Default `false`: `WorkflowNotRegisteredError`, nothing written — the check of
   * `client.start` (`client.assertRegistered`), which an enqueue with `tx` skips as it does.
   */
  readonly allowUnregistered?: boolean;
}

/** One item of a client's `enqueueMany()`: the input and this item's enqueue options. */
export interface ClientEnqueueManyItem<In> extends EnqueueManyItem<In> {
  /** Only engines of this app version (or none alive of it) claim it. Default: any engine. */
  readonly appVersion?: string;
}

/** Options of a client's `enqueueMany()`. */
export interface ClientEnqueueManyOptions extends EnqueueManyOptions {
  /** As `enqueue`'s: write them even when no live engine registers the workflow. */
  readonly allowUnregistered?: boolean;
}

/** Options of a client's `debounce()`. */
export interface ClientDebounceOptions extends DebounceOptions {
  readonly appVersion?: string;
  /** As for `enqueue`. */
  readonly allowUnregistered?: boolean;
}

/** What `withQueues` adds to a client. */
export interface QueueClientOperations extends QueueControl, ScheduleControl {
  /**
   * Puts a workflow on a queue by name; an engine that serves the queue and registers the
   * workflow runs it. Checks the partition key against the queue as its serving engines
   * recorded it (any key while none has started).
   * @throws InvalidOptionError, DuplicateDedupIdError (`onDuplicate: "reject"`),
   *   WorkflowConflictError (the ID belongs to a workflow of another name),
   *   WorkflowNotRegisteredError (no live engine registers it; see `allowUnregistered`)
   * @example
   * import type { sendEmail } from "./workflows.js";
   * const handle = await client.enqueue<typeof sendEmail>("emails", "sendEmail", { to });
   */
  enqueue<W extends AnyWorkflow = AnyWorkflow>(
    queueName: string,
    workflowName: string,
    input: WorkflowInput<W>,
    options?: ClientEnqueueOptions,
  ): Promise<HandleOf<W>>;
  /**
   * Puts many workflows of one name on a queue at once and returns their handles, in order,
   * as `queue.enqueueMany` does from an engine: every item checked first (a bad one rejects the
   * call with `EnqueueItemsInvalidError` naming its index, and nothing is written), then all
   * written or none, a thousand per statement. An item whose `id` exists, or whose `dedupId` a
   * live workflow holds (also an earlier item's), gets that workflow's handle.
   * @throws InvalidOptionError, EnqueueItemsInvalidError, WorkflowConflictError (an item's ID
   *   belongs to a workflow of another name; nothing is written), WorkflowNotRegisteredError
   *   (as `enqueue`, checked once per call)
   * @example
   * const handles = await client.enqueueMany<typeof sendEmail>("emails", "sendEmail", [
   *   { input: { to: "a@example.com" } },
   *   { input: { to: "b@example.com" }, priority: 1 },
   * ]);
   */
  enqueueMany<W extends AnyWorkflow = AnyWorkflow>(
    queueName: string,
    workflowName: string,
    items: readonly ClientEnqueueManyItem<WorkflowInput<W>>[],
    options?: ClientEnqueueManyOptions,
  ): Promise<HandleOf<W>[]>;
  /**
   * Starts the workflow once per burst of calls with the same `key`: `periodMs` after the
   * latest call (with its input), no later than `maxWaitMs` after the first.
   */
  debounce<W extends AnyWorkflow = AnyWorkflow>(
    queueName: string,
    key: string,
    workflowName: string,
    input: WorkflowInput<W>,
    options: ClientDebounceOptions,
  ): Promise<HandleOf<W>>;
}

/** A client with queues. */
export type QueueClient = Client & QueueClientOperations;

/**
 * Adds queue operations to `client`. `store` is the queue store on the client's database
 * (`createPgQueueStore(store)` from `@cairn/pg-store/queue`, over the client's store).
 *
 * @example
 * const store = createPgStore({ url });
 * const client = withQueues(createClient({ store }), createPgQueueStore(store));
 * await client.enqueue<typeof sendEmail>("emails", "sendEmail", { to: "a@example.com" });
 */
export function withQueues(client: Client, store: QueueStore): QueueClient {
  const assertOpen = () => undefined; // a closed client's store refuses with StoreClosedError
  const row = (
    workflowName: string,
    workflowId: string,
    queueName: string,
    input: unknown,
    appVersion: string | undefined,
  ): NewWorkflow => {
    if (typeof workflowName !== "string" || workflowName === "") {
      throw new InvalidOptionError("workflowName", "expected a workflow name");
    }
    assertWorkflowId(workflowId);
    return {
      workflowId,
      name: workflowName,
      input: client.serializer.serialize(input, `input of workflow "${workflowName}"`),
      executorId: QUEUED_EXECUTOR,
      appVersion,
      status: "ENQUEUED",
      queueName,
    };
  };

  const startRun: StartRun = async (schedule, run, workflowId) => {
    if (schedule.queueName === undefined) {
      return client.retrieve(
        (await client.start(schedule.workflowName, run, { id: workflowId })).workflowId,
      );
    }
    const result = await store.enqueue({
      workflow: row(schedule.workflowName, workflowId, schedule.queueName, run, undefined),
      queueName: schedule.queueName,
      priority: 0,
      partitionKey: schedule.partitionKey ?? "",
    });
    return client.retrieve(
      enqueuedWorkflow(result, schedule.queueName, schedule.workflowName, {}).workflowId,
    );
  };

  const operations: QueueClientOperations = {
    ...createQueueControl(store, { assertOpen }),
    ...createScheduleControl({ store, startRun, assertOpen }),
    async enqueue(queueName, workflowName, input, options = {}) {
      checkQueueName(queueName);
      const item = checkEnqueueOptions(queueName, await partitionedOf(store, queueName), options);
      const attributes = attributesOf(options);
      const workflowId = options.id ?? randomUUID();
      const workflow = row(workflowName, workflowId, queueName, input, options.appVersion);
      await checkRegistered(client, workflowName, options.allowUnregistered, options.tx);
      const result = await store.enqueue(
        { ...item, workflow: { ...workflow, ...attributes }, queueName },
        options.tx === undefined ? undefined : { tx: options.tx },
      );
      const found = enqueuedWorkflow(result, queueName, workflowName, options);
      return client.retrieve(found.workflowId) as never;
    },
    async enqueueMany(queueName, workflowName, items, options = {}) {
      checkQueueName(queueName);
      checkWorkflowName(workflowName);
      const partitioned = await partitionedOf(store, queueName);
      const rows = await bulkItems(queueName, items, (item) => ({
        ...checkEnqueueOptions(queueName, partitioned, item),
        workflow: {
          ...row(workflowName, item.id ?? randomUUID(), queueName, item.input, item.appVersion),
          ...attributesOf(item),
        },
        queueName,
      }));
      if (rows.length > 0) {
        await checkRegistered(client, workflowName, options.allowUnregistered, options.tx);
      }
      const results = await store.enqueueMany(
        rows,
        options.tx === undefined ? undefined : { tx: options.tx },
      );
      return results.map(
        (result) =>
          client.retrieve(
            enqueuedWorkflow(result, queueName, workflowName, {}).workflowId,
          ) as never,
      );
    },
    async debounce(queueName, key, workflowName, input, options) {
      checkQueueName(queueName);
      if (typeof key !== "string" || key === "") {
        throw new InvalidOptionError("key", "expected a non-empty string");
      }
      checkMs(options.periodMs, "periodMs");
      if (options.periodMs === undefined) {
        throw new InvalidOptionError("periodMs", "a debounce needs periodMs");
      }
      checkMs(options.maxWaitMs, "maxWaitMs");
      const partitioned = await partitionedOf(store, queueName);
      const { priority, partitionKey } = checkEnqueueOptions(queueName, partitioned, options);
      const attributes = attributesOf(options);
      const workflow = row(workflowName, randomUUID(), queueName, input, options.appVersion);
      await checkRegistered(client, workflowName, options.allowUnregistered, undefined);
      const result = await store.debounce({
        workflow: { ...workflow, ...attributes },
        queueName,
        key,
        priority,
        partitionKey,
        periodMs: options.periodMs,
        maxWaitMs: options.maxWaitMs ?? Number.POSITIVE_INFINITY,
      });
      if (result.name !== workflowName) {
        throw new WorkflowConflictError(result.workflowId, result.name, workflowName);
      }
      return client.retrieve(result.workflowId) as never;
    },
  };
  return { ...client, ...operations };
}

function checkWorkflowName(workflowName: string): void {
  if (typeof workflowName !== "string" || workflowName === "") {
    throw new InvalidOptionError("workflowName", "expected a workflow name");
  }
}

function checkQueueName(queueName: string): void {
  if (typeof queueName !== "string" || queueName === "") {
    throw new InvalidOptionError("queueName", "expected a queue name");
  }
}

/**
 * The name check of `client.start`, unless `allowUnregistered` (a boolean) skips it; not inside
 * the caller's transaction (`tx`), as for `client.start`: on PGlite the read would wait for it.
 */
async function checkRegistered(
  client: Client,
  workflowName: string,
  allow: unknown,
  tx: unknown,
): Promise<void> {
  if (allow !== undefined && typeof allow !== "boolean") {
    throw new InvalidOptionError("allowUnregistered", "expected true or false");
  }
  if (allow !== true && tx === undefined) await client.assertRegistered(workflowName);
}
