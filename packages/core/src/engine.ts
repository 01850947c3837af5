/**
 * The engine: the one object that runs workflows in this process. It migrates the store and
 * recovers unfinished workflows at `launch()`, starts new ones (one round trip, no read), picks
 * up work that clients, resumes and forks assign to it, cancels runs on request or at their
 * deadline, and stops cleanly at `shutdown()`. This file is the public face; the parts live in
 * `execution/` (`engine-parts.ts` lists them, `start-path.ts` starts workflows, `run-set.ts`
 * runs them, `engine-lifecycle.ts` launches and shuts down). No global state: two engines may
 * live in one process, each with its own store and executor ID.
 */
import type { ChannelSchemas } from "./channels.js";
import type { ForkOptions, EngineOptions, StartOptions } from "./engine-options.js";
import { InvalidOptionError } from "./errors.js";
import { resolveEngineConfig } from "./execution/engine-config.js";
import { launchEngine, shutdownEngine } from "./execution/engine-lifecycle.js";
import { assembleEngine } from "./execution/engine-parts.js";
import { createPluginHost } from "./execution/plugin-host.js";
import type { LaunchReport } from "./execution/recovery.js";
import { outsideOperations } from "./execution/operator.js";
import type { WorkflowHandle } from "./handle.js";
import type { EnginePlugin } from "./plugin.js";
import type { ExecutorRecord } from "./store/ownership-store.js";
import type { AnyWorkflow, Workflow, WorkflowChannels, WorkflowOutput } from "./workflow.js";
import type { StartManyItem, StartManyOptions, WorkflowOperations } from "./workflow-operations.js";

export type { EngineOptions, ForkOptions, LaunchReport, StartOptions };

/** The typed handle of a workflow definition. */
export type HandleOf<W> = WorkflowHandle<WorkflowOutput<W>, WorkflowChannels<W>>;

/** Runs durable workflows. Create with {@link createEngine}. */
export interface Engine extends WorkflowOperations {
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
  /**
   * Starts many workflows of one definition and returns their handles, in order, once all are
   * durable: one round trip per 1,000 items, all written or none, and each created one runs
   * here as `start()` would run it. Every item is validated and serialized first. An item whose
   * ID exists (also an earlier item's) gets that workflow's handle and runs nothing.
   * @throws StartItemsInvalidError naming each bad item's index (nothing written).
   * @throws WorkflowConflictError when an item's ID belongs to a workflow of another name
   *   (nothing written).
   * @example
   * const handles = await engine.startMany(order, [
   *   { input: { sku: "a" }, id: "order-1" },
   *   { input: { sku: "b" }, id: "order-2", attributes: { tenant: "acme" } },
   * ]);
   */
  startMany<In, Out, C extends ChannelSchemas>(
    workflow: Workflow<In, Out, C>,
    items: readonly StartManyItem<In>[],
    options?: StartManyOptions,
  ): Promise<WorkflowHandle<Out, C>[]>;
  /** `start()` and wait for the result. */
  run<In, Out, C extends ChannelSchemas>(
    workflow: Workflow<In, Out, C>,
    input: In,
    options?: StartOptions,
  ): Promise<Out>;
  /** A handle on an existing workflow; typed (and validating) when given its definition. */
  retrieve<W extends AnyWorkflow>(workflow: W, workflowId: string): HandleOf<W>;
  retrieve<Out = unknown>(workflowId: string): WorkflowHandle<Out>;
  /** Runs a cancelled, failed or dead-lettered workflow again from its last completed step. */
  resume<Out = unknown>(workflowId: string): Promise<WorkflowHandle<Out>>;
  /** Starts a copy of a workflow that keeps the checkpoints before `fromStep` and runs from there. */
  fork<Out = unknown>(workflowId: string, options: ForkOptions): Promise<WorkflowHandle<Out>>;
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
  const config = resolveEngineConfig(options);
  const parts = assembleEngine(config);
  const { store, plugins } = config;
  const { state, registry, operator, starts, handle } = parts;
  const pluginHost = createPluginHost(parts);
  const whenRunning =
    <A extends unknown[], R>(operation: string, call: (...args: A) => R) =>
    (...args: A): R => {
      state.assertRunning(operation);
      return call(...args);
    };

  const engine: Engine = {
    ...outsideOperations(operator),
    executorId: config.executorId,
    launch: () => launchEngine(parts, pluginHost),
    async start<In, Out, C extends ChannelSchemas>(
      workflow: Workflow<In, Out, C>,
      input: In,
      start?: StartOptions,
    ) {
      const { workflowId, definition } = await starts.start(workflow, input, start);
      return handle(workflowId, definition) as unknown as WorkflowHandle<Out, C>;
    },
    async startMany<In, Out, C extends ChannelSchemas>(
      workflow: Workflow<In, Out, C>,
      items: readonly StartManyItem<In>[],
      options?: StartManyOptions,
    ) {
      const started = await starts.startMany(workflow, items, options);
      return started.map(
        ({ workflowId, definition }) =>
          handle(workflowId, definition) as unknown as WorkflowHandle<Out, C>,
      );
    },
    async run(workflow, input, start) {
      if (start?.tx !== undefined) {
        throw new InvalidOptionError("tx", "run() waits for the result; use start() with a tx");
      }
      // As start() and result(), without start()'s own promise.
      const { workflowId, definition } = await starts.start(workflow, input, start);
      return (handle(workflowId, definition) as WorkflowHandle<never>).result();
    },
    retrieve(workflowOrId: AnyWorkflow | string, workflowId?: string) {
      if (typeof workflowOrId === "string") return handle(workflowOrId) as never;
      return handle(workflowId ?? "", registry.definitionOf(workflowOrId)) as never;
    },
    async resume<Out>(workflowId: string) {
      const resumed = await starts.resume(workflowId);
      return handle(workflowId, resumed.definition) as WorkflowHandle<Out>;
    },
    async fork<Out>(workflowId: string, fork: ForkOptions) {
      const forked = await starts.fork(workflowId, fork);
      return handle(forked.workflowId, forked.definition) as WorkflowHandle<Out>;
    },
    listExecutors: whenRunning("listExecutors", () => store.listExecutors()),
    plugin: <P extends EnginePlugin>(kind: string) =>
      plugins.find((p) => p.kind === kind) as P | undefined,
    moveToVersion: whenRunning("moveToVersion", (workflowIds: readonly string[], version: string) =>
      store.setAppVersion(workflowIds, version),
    ),
    shutdown: () => shutdownEngine(parts),
  };
  return engine;
}
