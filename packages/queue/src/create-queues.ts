/**
 * The queue runtime: an engine plugin that gives an engine its queues. It writes enqueues,
 * debounces and the children workflows enqueue (`ctx.enqueue`) through the `QueueStore`, and in
 * processes that serve queues it runs the dispatcher (claim and run, within the limits) and the
 * cron scheduler (schedules in code, and those stored at runtime whose workflow this engine
 * registers). It also offers runtime control of queues and stored schedules. It starts when the
 * engine has launched and stops first at shutdown: it stops claiming, lets the workflows it
 * claimed finish for up to `shutdownGraceMs`, and leaves the rest to the engine (which stops them
 * at their next durable operation; other processes then put them back in the queue and run them).
 */
import { randomUUID } from "node:crypto";
import {
  EngineNotLaunchedError,
  assertWorkflowId,
  InvalidOptionError,
  QUEUED_EXECUTOR,
  UNASSIGNED_EXECUTOR,
  WorkflowConflictError,
  type EnginePlugin,
  type EnginePluginHost,
  type Workflow,
  type WorkflowHandle,
} from "@cairn/core";
import { attributesOf, checkEnqueueOptions, enqueuedWorkflow } from "./control/enqueue-by-name.js";
import { createQueueControl, type QueueControl } from "./control/queue-control.js";
import {
  createScheduleControl,
  nextTickOf,
  runOf,
  type ScheduleControl,
  type StartRun,
} from "./control/schedule-control.js";
import { QUEUES_PLUGIN, checkCount, checkMs, type Queue, type QueueOperations } from "./queue.js";
import type { QueueStore, StoredSchedule } from "./queue-store.js";
import { systemClock, type QueueClock } from "./runtime/clock.js";
import { childEnqueuer } from "./runtime/child-enqueue.js";
import { Dispatcher } from "./runtime/dispatcher.js";
import { newQueuedWorkflow, queueItemsOf, withDefaultTimeout } from "./runtime/enqueue-many.js";
import { Scheduler, type Ticking, type WantedSchedule } from "./runtime/scheduler.js";
import { tickWorkflowId, type Schedule, type ScheduledRun } from "./schedule.js";

/** Options of {@link createQueues}. */
export interface QueuesOptions {
  /** Where queue items live: `createPgQueueStore(store)` from `@cairn/pg-store/queue`. */
  readonly store: QueueStore;
  /** The queues this process claims from and runs. Default none: it only enqueues. */
  readonly serve?: readonly Queue[];
  /** The cron schedules this process fires. Default none. */
  readonly schedules?: readonly Schedule[];
  /**
   * Fire the schedules stored at runtime (`createSchedule`) whose workflow this engine
   * registers. Default true; false in a process that should never run scheduled work.
   */
  readonly storedSchedules?: boolean;
  /**
   * The fallback when notifications are lost: how often served queues are claimed from anyway,
   * and how often stored schedules are re-read. Default 1,000 ms.
   */
  readonly pollIntervalMs?: number;
  /** Most workflows one claim takes. Default 100. */
  readonly claimBatch?: number;
  /** How long `shutdown()` waits for the workflows this process claimed to finish. Default 10,000 ms. */
  readonly shutdownGraceMs?: number;
  /** The clock schedules run on. Default: the engine's (`createEngine({ clock })`), else real time. */
  readonly clock?: QueueClock;
}

/** The queue runtime plugin; `engine.plugin<QueueRuntime>("cairn/queues")` finds it. */
export interface QueueRuntime extends EnginePlugin, QueueOperations, QueueControl, ScheduleControl {
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
  const storedSchedules = options.storedSchedules ?? true;
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

  /** Whether `prepare()` wrote the served queues' definitions. */
  let defined = false;
  const defineServed = async (): Promise<void> => {
    if (served.length === 0) return;
    await store.defineQueues(
      served.map((q) => ({
        queueName: q.name,
        partitioned: q.options.partitioned === true,
        limits: limitsOf(q),
      })),
    );
  };

  const hostFor = (operation: string): EnginePluginHost => {
    if (!host) throw new EngineNotLaunchedError(operation);
    return host;
  };

  /** A stored schedule's run: enqueued on its queue, or started (here if registered). */
  const startRun: StartRun = async (schedule, run, workflowId) => {
    const h = hostFor("start a scheduled run");
    const name = schedule.workflowName;
    const input = h.serializer.serialize(run, `input of workflow "${name}"`);
    const local = h.isRegistered(name);
    if (schedule.queueName !== undefined) {
      const result = await store.enqueue({
        workflow: {
          workflowId,
          name,
          input,
          executorId: QUEUED_EXECUTOR,
          status: "ENQUEUED",
          queueName: schedule.queueName,
          appVersion: local ? h.appVersion : undefined,
        },
        queueName: schedule.queueName,
        priority: 0,
        partitionKey: schedule.partitionKey ?? "",
      });
      const found = enqueuedWorkflow(result, schedule.queueName, name, {});
      if (found.created) dispatcher?.notify(schedule.queueName);
      return h.handle(found.workflowId);
    }
    const { created, workflow } = await h.store.createWorkflow({
      workflowId,
      name,
      input,
      executorId: local ? h.executorId : UNASSIGNED_EXECUTOR,
      appVersion: local ? h.appVersion : undefined,
      notify: !local,
    });
    if (!created && workflow.name !== name) {
      throw new WorkflowConflictError(workflowId, workflow.name, name);
    }
    if (created && local) await h.run([workflow]);
    return h.handle(workflowId);
  };

  const assertOpen = (operation: string) => void hostFor(operation);
  const queueControl = createQueueControl(store, {
    assertOpen,
    limitsChanged: (queueName) => dispatcher?.notify(queueName),
  });
  const scheduleControl = createScheduleControl({
    store,
    startRun,
    assertOpen,
    changed: async () => {
      await scheduler?.refresh();
    },
  });

  /** Schedules in code, plus the stored ones this engine fires (the last read, if one fails). */
  let lastStored: readonly WantedSchedule[] = [];
  const wanted = async (h: EnginePluginHost): Promise<readonly WantedSchedule[]> => {
    const inCode = schedules.map((s) => ({ ticking: codeTicking(h, s), version: "code" }));
    if (!storedSchedules) return inCode;
    try {
      const names = new Set(schedules.map((s) => s.name));
      lastStored = (await store.listSchedules())
        .filter((s) => !s.paused && h.isRegistered(s.workflowName) && !names.has(s.name))
        .map((s) => ({ ticking: storedTicking(s), version: `stored:${s.revision}` }));
    } catch (error) {
      h.logger.warn("could not read the stored schedules; the next poll retries", { error });
    }
    return [...inCode, ...lastStored];
  };

  /** A schedule in code: its tick runs here, or goes on its queue. */
  const codeTicking = (h: EnginePluginHost, s: Schedule): Ticking => ({
    name: s.name,
    missed: s.missed,
    maxBackfill: s.maxBackfill,
    nextTick: (after) => s.nextTick(after),
    fire: async (tickAt) => {
      const run: ScheduledRun = { scheduledAt: new Date(tickAt), scheduleName: s.name };
      const workflowId = s.workflowId(tickAt);
      if (s.queue) {
        await runtime.enqueue(s.queue, s.workflow as Workflow<unknown, unknown>, run, {
          id: workflowId,
          ...(s.queue.options.partitioned === true ? { partitionKey: s.name } : {}),
        });
        return;
      }
      const input = await h.prepareInput(s.workflow, run);
      const { created, workflow } = await h.store.createWorkflow({
        workflowId,
        name: s.workflow.name,
        input,
        executorId: h.executorId,
        appVersion: h.appVersion,
      });
      if (created) await h.run([workflow]);
    },
  });

  const storedTicking = (s: StoredSchedule): Ticking => ({
    name: s.name,
    missed: s.missed,
    maxBackfill: s.maxBackfill,
    nextTick: (after) => nextTickOf(s, after),
    fire: async (tickAt) => {
      await startRun(s, runOf(s, tickAt), tickWorkflowId(s.name, tickAt));
    },
  });

  const runtime: QueueRuntime = {
    kind: QUEUES_PLUGIN,
    served,
    get running() {
      return dispatcher?.running ?? 0;
    },
    ...queueControl,
    ...scheduleControl,
    enqueueChild: childEnqueuer(store, (queueName) => dispatcher?.notify(queueName)),

    async prepare() {
      defined = false;
      await defineServed();
      defined = true;
    },

    async start(engineHost) {
      host = engineHost;
      if (served.length > 0) {
        if (!defined) await defineServed(); // an engine that did not call prepare()
        const d = new Dispatcher({ store, host, queues: served, pollIntervalMs, claimBatch });
        dispatcher = d;
        host.onRunEnded((workflowId, status) => d.runEnded(workflowId, status));
        unsubscribe = await store.subscribe((queueName) => d.notify(queueName));
        d.start();
      }
      if (schedules.length > 0 || storedSchedules) {
        const h = host;
        scheduler = new Scheduler({
          store,
          logger: h.logger,
          clock: options.clock ?? h.clock ?? systemClock,
          retryMs: pollIntervalMs,
          wanted: () => wanted(h),
        });
        await scheduler.start();
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
      const item = checkEnqueueOptions(
        queue.name,
        queue.options.partitioned === true,
        enqueueOptions,
      );
      const workflowId =
        enqueueOptions.id === undefined ? randomUUID() : assertWorkflowId(enqueueOptions.id);
      const inCallerTx = enqueueOptions.tx !== undefined;
      const attributes = attributesOf(enqueueOptions);
      const result = await store.enqueue(
        {
          ...withDefaultTimeout(item, h),
          workflow: {
            ...(await newQueuedWorkflow(h, queue, workflow, input, workflowId)),
            ...attributes,
          },
          queueName: queue.name,
        },
        inCallerTx ? { tx: enqueueOptions.tx } : undefined,
      );
      const found = enqueuedWorkflow(result, queue.name, workflow.name, enqueueOptions);
      // Inside the caller's transaction the item is invisible until the commit, whose
      // notification wakes the dispatcher.
      if (found.created && !inCallerTx) dispatcher?.notify(queue.name);
      return handleOf(h, found.workflowId, found.name, workflow);
    },

    async enqueueMany(queue, workflow, items, manyOptions) {
      const h = hostFor("enqueueMany");
      const rows = await queueItemsOf(h, queue, workflow, items);
      const inCallerTx = manyOptions.tx !== undefined;
      const results = await store.enqueueMany(
        rows,
        inCallerTx ? { tx: manyOptions.tx } : undefined,
      );
      const found = results.map((result) =>
        enqueuedWorkflow(result, queue.name, workflow.name, {}),
      );
      if (found.some((f) => f.created) && !inCallerTx) dispatcher?.notify(queue.name);
      return found.map((f) => handleOf(h, f.workflowId, f.name, workflow));
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
      const { priority, partitionKey } = checkEnqueueOptions(
        queue.name,
        queue.options.partitioned === true,
        debounceOptions,
      );
      const attributes = attributesOf(debounceOptions);
      const result = await store.debounce({
        workflow: {
          ...(await newQueuedWorkflow(h, queue, workflow, input, randomUUID())),
          ...attributes,
        },
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
  };

  return runtime;
}

/** A queue definition's limits, as recorded for listings. */
function limitsOf(queue: Queue) {
  const { concurrency, totalConcurrency, workerConcurrency, rateLimit } = queue.options;
  return { concurrency, totalConcurrency, workerConcurrency, rateLimit };
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

function unique(names: readonly string[], option: string): void {
  const seen = new Set<string>();
  for (const name of names) {
    if (seen.has(name)) throw new InvalidOptionError(option, `"${name}" is listed twice`);
    seen.add(name);
  }
}
