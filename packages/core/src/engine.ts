/**
 * The engine: the one object that runs workflows in this process. It migrates the store and
 * recovers unfinished workflows at `launch()`, starts new ones (one round trip, no read), picks
 * up work that clients, resumes and forks assign to it, cancels runs on request or at their
 * deadline, and stops cleanly at `shutdown()`. Outside operations it shares with the client
 * (messages, events, streams, listing) come from `execution/operator.ts`. No global state: two
 * engines may live in one process, each with its own store and executor ID.
 */
import { randomUUID } from "node:crypto";
import { hostname } from "node:os";
import type { ChannelSchemas } from "./channels.js";
import type { WaitOptions } from "./context.js";
import { toMs } from "./duration.js";
import {
  EngineClosedError,
  EngineNotLaunchedError,
  InvalidOptionError,
  WorkflowConflictError,
  WorkflowNotFoundError,
  WorkflowNotRegisteredError,
} from "./errors.js";
import { Background, type RetentionOptions } from "./execution/background.js";
import { Execution, type ExecutionHost } from "./execution/execution.js";
import { deleteWorkflows, type DeleteWorkflowsOptions } from "./execution/delete-workflows.js";
import { createHandle, type HandleSource } from "./execution/handles.js";
import { waitAll, waitFirst, type WaitForOptions } from "./execution/wait-handles.js";
import { Observers } from "./execution/observers.js";
import { createOperator } from "./execution/operator.js";
import { OutageMonitor } from "./execution/outage.js";
import { Registry } from "./execution/registry.js";
import { receiverChannels } from "./execution/receiver-channels.js";
import { replayOnlyOf } from "./execution/replay-only.js";
import { systemClock, type Clock } from "./clock.js";
import { Pickup } from "./execution/pickup.js";
import { Recovery, type LaunchReport } from "./execution/recovery.js";
import { RunSet } from "./execution/run-set.js";
import {
  SHUTDOWN_MARGIN_MS,
  SHUTDOWN_PHASE_MS,
  settleWithin,
} from "./execution/shutdown-bounds.js";
import { Wakeups } from "./execution/wakeups.js";
import { assertWorkflowId } from "./workflow-id.js";
import type { ReadStreamOptions, SendOptions, WorkflowHandle } from "./handle.js";
import type { ListWorkflowsFilter, StepInfo, WorkflowInfo } from "./inspection.js";
import { consoleLogger, type Logger } from "./logger.js";
import type { EngineObserver, TraceCarrier } from "./observer.js";
import type { EnginePlugin, EnginePluginHost } from "./plugin.js";
import type { ExecutorRecord } from "./store/ownership-store.js";
import type { WorkflowStore } from "./store/workflow-store.js";
import type {
  AnyWorkflow,
  Workflow,
  WorkflowChannels,
  WorkflowDefinition,
  WorkflowOutput,
} from "./workflow.js";

/** Options of {@link createEngine}. */
export interface EngineOptions {
  /** Where checkpoints live: `createPgStore`, `createPgliteStore`, or the memory store. */
  readonly store: WorkflowStore;
  /** Every workflow this engine may start or recover, including children. */
  readonly workflows: readonly AnyWorkflow[];
  /**
   * Who owns the workflows this engine starts. Unique per live process. Default: generated
   * (`<host>-<pid>-<random>`). Configure a stable ID (a pod or host name) and a restarted engine
   * resumes its own workflows at once at `launch()`, without waiting for its old lease to expire.
   */
  readonly executorId?: string;
  /**
   * The application version this process runs (a git SHA, a release tag). Workflows record it;
   * recovery and takeover run only workflows of this version, of none, or of a version no live
   * executor runs (see docs/versioning.md). Default: unset — every workflow is compatible.
   */
  readonly appVersion?: string;
  /**
   * How long this engine's heartbeat stays valid. It heartbeats every third of it; when it stops
   * for longer, other engines take its workflows over. Default 30,000 ms.
   */
  readonly leaseMs?: number;
  /** Delete finished workflows after a while, in the background. Default: keep everything. */
  readonly retention?: RetentionOptions;
  /** What runs alongside the engine, such as `@cairn/queue`'s queues and schedules. */
  readonly plugins?: readonly EnginePlugin[];
  /**
   * Where Cairn reports. Default: warnings and errors to the console. Lifecycle events (a
   * workflow started, finished, failed, recovered; a step retried) are logged at `info`.
   */
  readonly logger?: Logger;
  /**
   * Code that watches workflows run: tracing and metrics (`otelObserver()` from `@cairn/otel`),
   * lifecycle events (`{ onEvent(event) { ... } }`). Called in order. Default: none.
   */
  readonly observers?: readonly EngineObserver[];
  /**
   * How long `shutdown()` lets running steps finish before aborting them. Default 10,000 ms.
   * Shutdown resolves at most 4,000 ms after this, even when the database is unreachable.
   */
  readonly shutdownGraceMs?: number;
  /**
   * The polling fallback: how often waits re-read the store and the engine looks for work and
   * cancellations it was not notified of. Default 1,000 ms.
   */
  readonly pollIntervalMs?: number;
  /**
   * Durable time: sleeps, timeouts, deadlines and retry backoff. Default: the real clock. Tests
   * pass `createVirtualClock()` from `@cairn/core/testing` and advance it by hand.
   */
  readonly clock?: Clock;
}

/** Options of `engine.start()` and `engine.run()`. */
export interface StartOptions {
  /** The workflow ID; starting an ID that exists returns that workflow. Default: a random UUID. */
  readonly id?: string;
  /** Cancel the workflow (and its children) if it has not finished this long after starting. */
  readonly timeoutMs?: number;
  /**
   * Start inside your own open transaction on the store's database (postgres.js
   * `TransactionSql`, PGlite `Transaction`): the workflow exists if and only if that transaction
   * commits, and this engine starts running it when the commit's notification arrives (or at its
   * next poll). The input is validated before anything is written. `run()` refuses it: the result
   * cannot come before your commit. See docs/outbox.md.
   */
  readonly tx?: unknown;
}

/** Options of `engine.fork()`. */
export interface ForkOptions {
  /** The position from which the fork runs again; checkpoints before it are copied. */
  readonly fromStep: number;
  /** The fork's workflow ID. Default: a random UUID. */
  readonly id?: string;
}

/** The typed handle of a workflow definition. */
export type HandleOf<W> = WorkflowHandle<WorkflowOutput<W>, WorkflowChannels<W>>;

/** Runs durable workflows. Create with {@link createEngine}. */
export interface Engine {
  readonly executorId: string;
  /**
   * Migrates the store and resumes this executor's unfinished workflows. Recovered workflows
   * start running before `launch()` resolves. Call once.
   */
  launch(): Promise<LaunchReport>;
  /**
   * Starts a workflow and returns its handle once the start is durable. If the ID exists, returns
   * the existing workflow's handle and runs nothing.
   * @throws ValidationError when the input does not match the workflow's schema (nothing written).
   * @throws WorkflowConflictError when the ID belongs to a workflow of another name.
   */
  start<In, Out, C extends ChannelSchemas>(
    workflow: Workflow<In, Out, C>,
    input: In,
    options?: StartOptions,
  ): Promise<WorkflowHandle<Out, C>>;
  /** `start()` and wait for the result. */
  run<In, Out, C extends ChannelSchemas>(
    workflow: Workflow<In, Out, C>,
    input: In,
    options?: StartOptions,
  ): Promise<Out>;
  /** A handle on an existing workflow; typed (and validating) when given its definition. */
  retrieve<W extends AnyWorkflow>(workflow: W, workflowId: string): HandleOf<W>;
  retrieve<Out = unknown>(workflowId: string): WorkflowHandle<Out>;
  /** Sends a message to a workflow. @throws WorkflowNotFoundError for an unknown ID. */
  send(workflowId: string, topic: string, message: unknown, options?: SendOptions): Promise<void>;
  /** A workflow's event, waiting up to `timeoutMs` (default 0: don't wait) for it to be set. */
  getEvent(workflowId: string, key: string, options?: WaitOptions): Promise<unknown>;
  /** A workflow's stream, until it is closed or the workflow ends; resumable from `offset`. */
  readStream(
    workflowId: string,
    key: string,
    options?: ReadStreamOptions,
  ): AsyncIterableIterator<unknown>;
  /**
   * Cancels a PENDING workflow and, unless `children: false`, its PENDING descendants. Each stops
   * at its next durable operation with `WorkflowCancelledError`; running steps' signals fire.
   * Resolves with the IDs cancelled.
   */
  cancel(workflowId: string, options?: { readonly children?: boolean }): Promise<readonly string[]>;
  /**
   * Deletes finished workflows — and, unless `children: false`, their finished descendants —
   * with their steps, messages, events, streams and queue items, in one transaction. Unfinished
   * ones are left (cancel them first). Returns the IDs deleted.
   */
  deleteWorkflows(
    workflowIds: readonly string[],
    options?: DeleteWorkflowsOptions,
  ): Promise<string[]>;

  /** Runs a cancelled, failed or dead-lettered workflow again from its last completed step. */
  resume<Out = unknown>(workflowId: string): Promise<WorkflowHandle<Out>>;
  /** Starts a copy of a workflow that keeps the checkpoints before `fromStep` and runs from there. */
  fork<Out = unknown>(workflowId: string, options: ForkOptions): Promise<WorkflowHandle<Out>>;
  /**
   * Resolves with the first of `handles` to finish (succeeded, failed, cancelled or dead
   * lettered); read it with `result()`. One wait on all of them, woken by their notifications.
   * @throws ResultTimeoutError after `timeoutMs`; WorkflowNotFoundError for an unknown ID.
   */
  waitFirst<H extends { readonly workflowId: string }>(
    handles: readonly H[],
    options?: WaitForOptions,
  ): Promise<H>;
  /**
   * Resolves once every one of `handles` has finished, with them in the same order.
   * @throws ResultTimeoutError after `timeoutMs` (naming those still running).
   */
  waitAll<H extends { readonly workflowId: string }>(
    handles: readonly H[],
    options?: WaitForOptions,
  ): Promise<H[]>;
  listWorkflows(filter?: ListWorkflowsFilter): Promise<WorkflowInfo[]>;
  listSteps(workflowId: string): Promise<StepInfo[]>;
  /** Every executor that heartbeats (or did) on this database, with its lease state. */
  listExecutors(): Promise<ExecutorRecord[]>;
  /**
   * Moves PENDING workflows to another application version, so executors of that version run
   * them (after a deploy, say). Resolves with the IDs moved.
   */
  moveToVersion(workflowIds: readonly string[], appVersion: string): Promise<string[]>;
  /** The plugin of this kind passed to `createEngine`, if any. */
  plugin<P extends EnginePlugin>(kind: string): P | undefined;
  /**
   * Stops taking work, lets running steps finish (up to `shutdownGraceMs`), leaves unfinished
   * workflows PENDING for the next launch, and closes the store. Resolves within
   * `shutdownGraceMs` + 4,000 ms even while the database is unreachable.
   */
  shutdown(): Promise<void>;
}

export type { LaunchReport };

type EngineState = "created" | "launching" | "running" | "closing" | "closed";

/**
 * Creates an engine.
 *
 * @example
 * const engine = createEngine({ store: createPgliteStore(), workflows: [checkout] });
 * await engine.launch();
 * const ok = await engine.run(checkout, { ticketId: "A1", cardToken: "tok" });
 * await engine.shutdown();
 */
export function createEngine(options: EngineOptions): Engine {
  const { store } = options;
  const executorId =
    options.executorId ?? `${hostname()}-${process.pid}-${randomUUID().slice(0, 8)}`;
  const { appVersion } = options;
  const leaseMs = options.leaseMs ?? 30_000;
  const logger = options.logger ?? consoleLogger();
  const shutdownGraceMs = options.shutdownGraceMs ?? 10_000;
  const pollIntervalMs = options.pollIntervalMs ?? 1_000;
  if (typeof executorId !== "string" || executorId === "") {
    throw new InvalidOptionError("executorId", "expected a non-empty string");
  }
  if (!(pollIntervalMs > 0)) {
    throw new InvalidOptionError("pollIntervalMs", "expected a positive number");
  }
  if (!(leaseMs > 0)) throw new InvalidOptionError("leaseMs", "expected a positive number");
  const registry = new Registry(options.workflows);
  const receivers = receiverChannels(registry);
  const observers = new Observers(options.observers ?? [], logger);
  const outage = new OutageMonitor(executorId, (event) => observers.emit(event));
  const clock = options.clock ?? systemClock;
  const wakeups = new Wakeups(store, logger, pollIntervalMs, clock);
  const closing = new AbortController();
  let state: EngineState = "created";

  const assertRunning = (operation: string): void => {
    if (state === "closing" || state === "closed") throw new EngineClosedError(operation);
    if (state !== "running") throw new EngineNotLaunchedError(operation);
  };

  const operator = createOperator({
    store,
    clock,
    wakeups,
    closeSignal: closing.signal,
    assertOpen: assertRunning,
    onCancelled: (ids) => runs.cancel(ids),
    receivers,
  });

  const handleSource: HandleSource = {
    store,
    wakeups,
    operator,
    localRun: (id) => runs.get(id)?.done,
    assertOpen: () => {
      if (state === "closing" || state === "closed") throw new EngineClosedError("result");
    },
  };
  const handle = (workflowId: string, definition?: WorkflowDefinition): WorkflowHandle<unknown> =>
    createHandle(workflowId, handleSource, definition?.channels);

  const host: ExecutionHost = {
    store,
    receivers,
    logger,
    replayOnly: replayOnlyOf(options),
    clock,
    wakeups,
    executorId,
    appVersion,
    observers,
    outage,
    startChild: async (child) => {
      assertRunning("start");
      await create(registry.definitionOf(child.definition), child.input, child.workflowId, {
        parentWorkflowId: child.parentWorkflowId,
        deadlineAt: child.deadlineAt,
        traceContext: child.traceContext,
      });
    },
    handle,
  };

  const runs = new RunSet({
    host,
    store,
    logger,
    wakeups,
    registry,
    pollIntervalMs,
    isRunning: () => state === "running",
    createExecution: (definition, record, history, run) =>
      new Execution({
        host,
        workflowId: record.workflowId,
        definition,
        history,
        deadlineAt: record.deadlineAt,
        ownerEpoch: record.ownerEpoch,
        run,
      }),
  });
  const recovery = new Recovery({
    runs,
    store,
    registry,
    logger,
    observers,
    executorId,
    appVersion,
  });
  const pickup = new Pickup({
    runs,
    recovery,
    store,
    wakeups,
    logger,
    executorId,
    isRunning: () => state === "running",
  });
  const background = new Background({
    store,
    recovery,
    pickup,
    logger,
    outage,
    executorId,
    appVersion,
    leaseMs,
    pollIntervalMs,
    retention: options.retention,
  });

  /** Validates, serializes and creates a workflow; runs it here if it is new. */
  const create = async (
    definition: WorkflowDefinition,
    rawInput: unknown,
    workflowId: string,
    extra: {
      parentWorkflowId?: string;
      deadlineAt?: number | undefined;
      traceContext?: TraceCarrier | undefined;
    } = {},
  ): Promise<void> => {
    const input = await registry.serializeInput(definition, rawInput);
    const { created, workflow } = await runs.createAndRun(
      workflowId,
      definition,
      () =>
        store.createWorkflow({
          workflowId,
          name: definition.name,
          input,
          executorId,
          appVersion,
          ...extra,
        }),
      { loadHistory: false },
    );
    if (!created && workflow.name !== definition.name) {
      throw new WorkflowConflictError(workflowId, workflow.name, definition.name);
    }
  };

  /**
   * Writes a workflow inside the caller's transaction, owned by this engine and announced at the
   * caller's commit; nothing runs now (the row is invisible until then).
   */
  const createInTransaction = async (
    definition: WorkflowDefinition,
    rawInput: unknown,
    workflowId: string,
    extra: { deadlineAt: number | undefined; traceContext: TraceCarrier | undefined },
    tx: unknown,
  ): Promise<void> => {
    const input = await registry.serializeInput(definition, rawInput);
    const { created, workflow } = await store.createWorkflow(
      { workflowId, name: definition.name, input, executorId, appVersion, ...extra, notify: true },
      { tx },
    );
    if (!created && workflow.name !== definition.name) {
      throw new WorkflowConflictError(workflowId, workflow.name, definition.name);
    }
  };

  const plugins = options.plugins ?? [];
  const pluginHost: EnginePluginHost = {
    clock,
    executorId,
    appVersion,
    store,
    logger,
    isRunning: () => state === "running",
    isRegistered: (name) => registry.get(name) !== undefined,
    prepareInput: (workflow, input) =>
      registry.serializeInput(registry.definitionOf(workflow), input),
    traceContext: () => observers.carrier(undefined),
    run: async (records) => {
      await Promise.all(records.map((record) => runs.ensureRunning(record)));
    },
    onRunEnded: (listener) => runs.onRunEnded(listener),
    onNotification: (listener) => wakeups.onNotification(listener),
    handle: (workflowId, workflow) =>
      handle(workflowId, workflow === undefined ? undefined : registry.definitionOf(workflow)),
  };

  const engine: Engine = {
    executorId,
    async launch() {
      if (state !== "created")
        throw new InvalidOptionError("launch", `the engine is already ${state}`);
      state = "launching";
      try {
        await store.migrate();
        await background.heartbeat(); // alive before claiming anything
        await wakeups.start();
        state = "running";
      } catch (error) {
        state = "created";
        throw error;
      }
      const report = await recovery.recover();
      background.start();
      for (const plugin of plugins) await plugin.start(pluginHost);
      return report;
    },
    async start<In, Out, C extends ChannelSchemas>(
      workflow: Workflow<In, Out, C>,
      input: In,
      start?: StartOptions,
    ) {
      assertRunning("start");
      const definition = registry.definitionOf(workflow);
      const workflowId = start?.id === undefined ? randomUUID() : assertWorkflowId(start.id);
      const deadlineAt =
        start?.timeoutMs === undefined
          ? undefined
          : clock.now() + toMs(start.timeoutMs, "timeoutMs");
      const traceContext = observers.carrier(undefined);
      if (start?.tx === undefined) {
        await create(definition, input, workflowId, { deadlineAt, traceContext });
      } else {
        await createInTransaction(
          definition,
          input,
          workflowId,
          { deadlineAt, traceContext },
          start.tx,
        );
      }
      return handle(workflowId, definition) as unknown as WorkflowHandle<Out, C>;
    },
    async run(workflow, input, start) {
      if (start?.tx !== undefined) {
        throw new InvalidOptionError("tx", "run() waits for the result; use start() with a tx");
      }
      return (await engine.start(workflow, input, start)).result();
    },
    retrieve(workflowOrId: AnyWorkflow | string, workflowId?: string) {
      if (typeof workflowOrId === "string") return handle(workflowOrId) as never;
      return handle(workflowId ?? "", registry.definitionOf(workflowOrId)) as never;
    },
    send: (workflowId, topic, message, sendOptions) =>
      operator.send(workflowId, topic, message, sendOptions),
    getEvent: (workflowId, key, waitOptions) => operator.getEvent(workflowId, key, waitOptions),
    readStream: (workflowId, key, readOptions) => operator.readStream(workflowId, key, readOptions),
    cancel: (workflowId, cancelOptions) => operator.cancel(workflowId, cancelOptions),
    deleteWorkflows: async (workflowIds, deleteOptions) => {
      assertRunning("deleteWorkflows");
      return deleteWorkflows(store, workflowIds, deleteOptions);
    },
    async resume<Out>(workflowId: string) {
      assertRunning("resume");
      const record = await store.resumeWorkflow(workflowId, executorId);
      if (!record) throw new WorkflowNotFoundError(workflowId);
      if (record.status === "PENDING" && record.executorId === executorId)
        await runs.ensureRunning(record);
      return handle(workflowId, registry.get(record.name)) as WorkflowHandle<Out>;
    },
    async fork<Out>(workflowId: string, fork: ForkOptions) {
      assertRunning("fork");
      const fromPosition = checkForkPosition(fork.fromStep);
      const source = await store.getWorkflow(workflowId);
      if (!source) throw new WorkflowNotFoundError(workflowId);
      const definition = registry.get(source.name);
      if (!definition) throw new WorkflowNotRegisteredError(source.name);
      const newId = fork.id === undefined ? randomUUID() : assertWorkflowId(fork.id);
      const forked = await runs.createAndRun(
        newId,
        definition,
        async () => {
          const result = await store.forkWorkflow({
            sourceId: workflowId,
            newId,
            fromPosition,
            executorId,
          });
          if (!result) throw new WorkflowNotFoundError(workflowId);
          return result;
        },
        { loadHistory: true },
      );
      if (!forked.created && forked.workflow.name !== source.name) {
        throw new WorkflowConflictError(newId, forked.workflow.name, source.name);
      }
      return handle(newId, definition) as WorkflowHandle<Out>;
    },
    waitFirst: (handles, waitOptions) => waitFirst(handleSource, handles, waitOptions),
    waitAll: (handles, waitOptions) => waitAll(handleSource, handles, waitOptions),
    listWorkflows: (filter) => operator.listWorkflows(filter),
    listSteps: (workflowId) => operator.listSteps(workflowId),
    listExecutors: () => {
      assertRunning("listExecutors");
      return store.listExecutors();
    },
    plugin: <P extends EnginePlugin>(kind: string) =>
      plugins.find((p) => p.kind === kind) as P | undefined,
    moveToVersion: (workflowIds, version) => {
      assertRunning("moveToVersion");
      return store.setAppVersion(workflowIds, version);
    },
    async shutdown() {
      if (state === "closing" || state === "closed") return;
      state = "closing";
      closing.abort(new EngineClosedError("shutdown"));
      // Bounded even when the store is unreachable: grace + SHUTDOWN_MARGIN_MS at most. Plugins
      // (a queue draining its runs) and the engine's own runs share one grace period.
      const graceEnd = Date.now() + shutdownGraceMs;
      await settleWithin(stopPlugins(plugins, logger), shutdownGraceMs, "stopping plugins", logger);
      await runs.stopAll(Math.max(0, graceEnd - Date.now()));
      const released = Promise.all([background.stop(), wakeups.stop()]);
      await settleWithin(released, SHUTDOWN_PHASE_MS, "releasing the lease", logger);
      state = "closed";
      const left = graceEnd + SHUTDOWN_MARGIN_MS - Date.now();
      await settleWithin(store.close(), left, "closing the store", logger);
    },
  };
  return engine;
}

async function stopPlugins(plugins: readonly EnginePlugin[], logger: Logger): Promise<void> {
  for (const plugin of plugins) {
    await plugin.stop().catch((error: unknown) => {
      logger.warn(`plugin ${plugin.kind} failed to stop`, { error });
    });
  }
}

function checkForkPosition(fromStep: number): number {
  if (!Number.isInteger(fromStep) || fromStep < 0) {
    throw new InvalidOptionError("fromStep", "expected an integer position >= 0");
  }
  return fromStep;
}
