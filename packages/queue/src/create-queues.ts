/**
 * The queue runtime: an engine plugin that gives an engine its queues. It writes enqueues and
 * debounces through the `QueueStore`, and in processes that serve queues it runs the dispatcher
 * (claim and run, within the limits) and the cron scheduler. It starts when the engine has
 * launched and stops first at shutdown: it stops claiming, lets the workflows it claimed finish
 * for up to `shutdownGraceMs`, and leaves the rest to the engine (which stops them at their next
 * durable operation; other processes then put them back in the queue and run them).
 */
import { randomUUID } from "node:crypto";
import {
  EngineNotLaunchedError,
  InvalidOptionError,
  QUEUED_EXECUTOR,
  WorkflowConflictError,
  type EnginePlugin,
  type EnginePluginHost,
  type NewWorkflow,
  type Workflow,
  type WorkflowHandle,
} from "@cairn/core";
import { DuplicateDedupIdError } from "./errors.js";
import {
  QUEUES_PLUGIN,
  checkCount,
  checkMs,
  type DebounceOptions,
  type EnqueueOptions,
  type Queue,
  type QueueOperations,
} from "./queue.js";
import type { QueueStore } from "./queue-store.js";
import { systemClock, type QueueClock } from "./runtime/clock.js";
import { Dispatcher } from "./runtime/dispatcher.js";
import { Scheduler } from "./runtime/scheduler.js";
import type { Schedule, ScheduledRun } from "./schedule.js";

const MIN_PRIORITY = -(2 ** 31);
const MAX_PRIORITY = 2 ** 31 - 1;

/** Options of {@link createQueues}. */
export interface QueuesOptions {
  /** Where queue items live: `createPgQueueStore(store)` from `@cairn/pg-store/queue`. */
  readonly store: QueueStore;
  /** The queues this process claims from and runs. Default none: it only enqueues. */
  readonly serve?: readonly Queue[];
  /** The cron schedules this process fires. Default none. */
  readonly schedules?: readonly Schedule[];
  /** The fallback when notifications are lost: how often served queues are claimed from anyway. Default 1,000 ms. */
  readonly pollIntervalMs?: number;
  /** Most workflows one claim takes. Default 100. */
  readonly claimBatch?: number;
  /** How long `shutdown()` waits for the workflows this process claimed to finish. Default 10,000 ms. */
  readonly shutdownGraceMs?: number;
  /** The clock schedules run on. Default: the system clock. For tests. */
  readonly clock?: QueueClock;
}

/** The queue runtime plugin; `engine.plugin<QueueRuntime>("cairn/queues")` finds it. */
export interface QueueRuntime extends EnginePlugin, QueueOperations {
  readonly kind: typeof QUEUES_PLUGIN;
  /** The queues this process serves. */
  readonly served: readonly Queue[];
  /** How many workflows this process claimed are still running. */
  readonly running: number;
}

/**
 * Creates the queue runtime. Pass it in `createEngine({ plugins: [...] })`.
 *
 * @example
 * const store = createPgStore({ url });
 * const engine = createEngine({
 *   store,
 *   workflows: [sendEmail, report],
 *   plugins: [createQueues({ store: createPgQueueStore(store), serve: [emails], schedules: [nightly] })],
 * });
 */
export function createQueues(options: QueuesOptions): QueueRuntime {
  const { store } = options;
  const served = options.serve ?? [];
  const schedules = options.schedules ?? [];
  const pollIntervalMs = options.pollIntervalMs ?? 1_000;
  const claimBatch = options.claimBatch ?? 100;
  const shutdownGraceMs = options.shutdownGraceMs ?? 10_000;
  checkMs(pollIntervalMs, "pollIntervalMs", true);
  checkCount(claimBatch, "claimBatch");
  checkMs(shutdownGraceMs, "shutdownGraceMs");
  unique(
    served.map((q) => q.name),
    "serve",
  );
  unique(
    schedules.map((s) => s.name),
    "schedules",
  );

  let host: EnginePluginHost | undefined;
  let dispatcher: Dispatcher | undefined;
  let scheduler: Scheduler | undefined;
  let unsubscribe: (() => Promise<void>) | undefined;

  const hostFor = (operation: string): EnginePluginHost => {
    if (!host) throw new EngineNotLaunchedError(operation);
    return host;
  };

  /** The row of a new enqueued workflow. */
  const newWorkflow = async (
    h: EnginePluginHost,
    queue: Queue,
    workflow: Workflow<unknown, unknown>,
    input: unknown,
    workflowId: string,
  ): Promise<NewWorkflow> => ({
    workflowId,
    name: workflow.name,
    input: await h.prepareInput(workflow, input),
    executorId: QUEUED_EXECUTOR,
    appVersion: h.appVersion,
    status: "ENQUEUED",
    queueName: queue.name,
  });

  const runtime: QueueRuntime = {
    kind: QUEUES_PLUGIN,
    served,
    get running() {
      return dispatcher?.running ?? 0;
    },

    async start(engineHost) {
      host = engineHost;
      if (served.length > 0) {
        const d = new Dispatcher({ store, host, queues: served, pollIntervalMs, claimBatch });
        dispatcher = d;
        host.onRunEnded((workflowId, status) => d.runEnded(workflowId, status));
        unsubscribe = await store.subscribe((queueName) => d.notify(queueName));
        d.start();
      }
      if (schedules.length > 0) {
        scheduler = new Scheduler({
          store,
          host,
          schedules,
          clock: options.clock ?? systemClock,
          retryMs: pollIntervalMs,
          enqueue: (s, run, workflowId) => enqueueTick(s, run, workflowId),
        });
        scheduler.start();
      }
    },

    async stop() {
      await scheduler?.stop();
      await dispatcher?.stop();
      await dispatcher?.drain(shutdownGraceMs);
      await unsubscribe?.();
    },

    async enqueue(queue, workflow, input, enqueueOptions) {
      const h = hostFor("enqueue");
      const item = checkEnqueue(queue, enqueueOptions);
      const workflowId = enqueueOptions.id ?? randomUUID();
      if (typeof workflowId !== "string" || workflowId === "") {
        throw new InvalidOptionError("id", "expected a non-empty string");
      }
      const inCallerTx = enqueueOptions.tx !== undefined;
      const result = await store.enqueue(
        {
          ...item,
          workflow: await newWorkflow(h, queue, workflow, input, workflowId),
          queueName: queue.name,
        },
        inCallerTx ? { tx: enqueueOptions.tx } : undefined,
      );
      switch (result.kind) {
        case "created":
          // Inside the caller's transaction the item is invisible until the commit, whose
          // notification wakes the dispatcher.
          if (!inCallerTx) dispatcher?.notify(queue.name);
          return h.handle(workflowId, workflow);
        case "exists":
          if (result.workflow.name !== workflow.name) {
            throw new WorkflowConflictError(workflowId, result.workflow.name, workflow.name);
          }
          return h.handle(workflowId, workflow);
        case "duplicate":
          if (enqueueOptions.onDuplicate === "reject") {
            throw new DuplicateDedupIdError(
              queue.name,
              enqueueOptions.dedupId ?? "",
              result.workflow.workflowId,
            );
          }
          return handleOf(h, result.workflow.workflowId, result.workflow.name, workflow);
      }
    },

    async debounce(queue, key, workflow, input, debounceOptions) {
      const h = hostFor("debounce");
      if (typeof key !== "string" || key === "") {
        throw new InvalidOptionError("key", "expected a non-empty string");
      }
      checkMs(debounceOptions.periodMs, "periodMs");
      if (debounceOptions.periodMs === undefined) {
        throw new InvalidOptionError("periodMs", "a debounce needs periodMs");
      }
      checkMs(debounceOptions.maxWaitMs, "maxWaitMs");
      const { priority, partitionKey } = checkEnqueue(queue, debounceOptions);
      const result = await store.debounce({
        workflow: await newWorkflow(h, queue, workflow, input, randomUUID()),
        queueName: queue.name,
        key,
        priority,
        partitionKey,
        periodMs: debounceOptions.periodMs,
        maxWaitMs: debounceOptions.maxWaitMs ?? Number.POSITIVE_INFINITY,
      });
      if (result.name !== workflow.name) {
        throw new WorkflowConflictError(result.workflowId, result.name, workflow.name);
      }
      if (result.created) dispatcher?.notify(queue.name);
      return h.handle(result.workflowId, workflow);
    },

    counts: (queueName) => {
      hostFor("counts");
      return store.counts(queueName);
    },
  };

  /** A schedule's tick on its queue: the tick's ID makes repeats return the same workflow. */
  const enqueueTick = async (s: Schedule, run: ScheduledRun, workflowId: string) => {
    if (!s.queue) return;
    await runtime.enqueue(s.queue, s.workflow as Workflow<unknown, unknown>, run, {
      id: workflowId,
      ...(s.queue.options.partitioned === true ? { partitionKey: s.name } : {}),
    });
  };

  return runtime;
}

/** A handle typed by `workflow` only when the workflow found is of that name. */
function handleOf(
  host: EnginePluginHost,
  workflowId: string,
  name: string,
  workflow: Workflow<unknown, unknown>,
): WorkflowHandle<unknown> {
  return name === workflow.name ? host.handle(workflowId, workflow) : host.handle(workflowId);
}

/** Validates the options an enqueue shares with a debounce; returns the item's fields. */
function checkEnqueue(
  queue: Queue,
  options: EnqueueOptions | DebounceOptions,
): {
  priority: number;
  partitionKey: string;
  dedupId?: string;
  delayMs?: number;
  availableAt?: number;
  timeoutMs?: number;
} {
  const priority = options.priority ?? 0;
  if (!Number.isInteger(priority) || priority < MIN_PRIORITY || priority > MAX_PRIORITY) {
    throw new InvalidOptionError("priority", `expected a 32-bit integer, got ${String(priority)}`);
  }
  const { partitionKey } = options;
  if (queue.options.partitioned === true) {
    if (typeof partitionKey !== "string" || partitionKey === "") {
      throw new InvalidOptionError(
        "partitionKey",
        `queue "${queue.name}" is partitioned: name a partition`,
      );
    }
  } else if (partitionKey !== undefined) {
    throw new InvalidOptionError("partitionKey", `queue "${queue.name}" is not partitioned`);
  }
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

function unique(names: readonly string[], option: string): void {
  const seen = new Set<string>();
  for (const name of names) {
    if (seen.has(name)) throw new InvalidOptionError(option, `"${name}" is listed twice`);
    seen.add(name);
  }
}
