/**
 * Engine plugins: how packages built on core (`@cairn/queue`'s dispatcher and cron scheduler)
 * join an engine's life without core knowing them. A plugin starts after `launch()` has
 * recovered, stops first in `shutdown()`, and gets a host with what it may use: the store, the
 * engine's identity, input validation, and a way to run workflows it assigned to this executor.
 * A plugin that runs queues also writes the children workflows enqueue (`ctx.enqueue`): core owns
 * the call's position, replay, the child's ID, parent and deadline; the plugin only checks the
 * queue options and writes the row (decision 0016).
 */
import type { ChildEnqueueOptions, EnqueueTarget } from "./context.js";
import type { Serializer } from "./serialization.js";
import type { Clock } from "./clock.js";
import type { WorkflowHandle } from "./handle.js";
import type { Logger } from "./logger.js";
import type { TraceCarrier } from "./observer.js";
import type { StoreNotification } from "./store/messaging-store.js";
import type { Fence, SerializedValue, WorkflowRecord, WorkflowStatus } from "./store/records.js";
import type { NewWorkflow, WorkflowOutcome } from "./store/running-store.js";
import type { WorkflowStore } from "./store/workflow-store.js";
import type { AnyWorkflow } from "./workflow.js";

/** Something that runs alongside an engine. Pass it in `createEngine({ plugins })`. */
export interface EnginePlugin {
  /** What it is, e.g. `"cairn/queues"`; `engine.plugin(kind)` finds it. */
  readonly kind: string;
  /**
   * Optional. Called during `launch()` once the store is migrated, alongside the first heartbeat
   * and before anything is claimed: writes what the plugin needs in the store (a queue's
   * definitions) so `start` finds it there. It must not claim or run work. It may run again
   * when a failed launch is retried; a failure fails the launch.
   */
  prepare?(): Promise<void>;
  /** Called at the end of `launch()`, after `prepare`. */
  start(host: EnginePluginHost): void | Promise<void>;
  /** Called first in `shutdown()`: stop taking new work. */
  stop(): Promise<void>;
  /**
   * For a plugin that runs queues: checks a `ctx.enqueue` call's queue and options when the call
   * is made, on every run including replays (a typed error then; nothing is recorded), and
   * returns the write of its child. Core calls the write only when nothing is recorded at the
   * call's position (again after a crash before the checkpoint, with the same row: find the
   * workflow the ID holds). May be called before `start`: recovered workflows run during
   * `launch()`.
   */
  enqueueChild?(queue: EnqueueTarget, options: ChildEnqueueOptions): ChildEnqueueWrite;
}

/**
 * Puts a child on its queue: `child` is the row as `ctx.enqueue` built it (status `ENQUEUED`,
 * the parent, the inherited deadline, the input validated and serialized). Resolves the ID of
 * the workflow the queue now holds for it (the child's, new or found).
 * @throws WorkflowConflictError when the ID belongs to a workflow of another name.
 */
export type ChildEnqueueWrite = (child: QueuedChild) => Promise<string>;

/** A child workflow `ctx.enqueue` puts on a queue, as a queue plugin writes it. */
export interface QueuedChild extends NewWorkflow {
  readonly status: "ENQUEUED";
  readonly queueName: string;
  readonly parentWorkflowId: string;
}

/**
 * Records a run's outcome in place of the store's `finishWorkflow`, with its contract: resolves
 * true once written, false when the workflow was no longer PENDING (nothing written).
 * @throws WorkflowOwnershipLostError when `fence` no longer holds (another executor owns it)
 */
export type RunFinisher = (outcome: WorkflowOutcome, fence: Fence) => Promise<boolean>;

/** Options of `EnginePluginHost.run`. */
export interface PluginRunOptions {
  /** IDs of workflows among the records that have no recorded steps. */
  readonly withoutSteps?: readonly string[] | undefined;
  /**
   * Records the outcome of these runs instead of the store (a queue plugin writes them with its
   * next claim, in one transaction). Only the runs these records start now: a run of one of them
   * that suspends and is woken later finishes through the store.
   */
  readonly finish?: RunFinisher | undefined;
}

/** What an engine offers its plugins. */
export interface EnginePluginHost {
  readonly executorId: string;
  readonly appVersion: string | undefined;
  readonly store: WorkflowStore;
  readonly logger: Logger;
  /** The engine's serializer (its `serialization` option): encode stored values with it. */
  readonly serializer: Serializer;
  /** The engine's durable time (`createEngine({ clock })`); schedules tick on it. */
  readonly clock: Clock;
  /**
   * The engine's `workflowTimeoutMs` (ms), `undefined` when not set: a queue plugin gives it to
   * what it enqueues without a `timeoutMs`, counted from the claim as an enqueue's own.
   */
  readonly workflowTimeoutMs: number | undefined;
  /** False once the engine is shutting down. */
  isRunning(): boolean;
  /** Whether a workflow of this name is registered here. */
  isRegistered(name: string): boolean;
  /**
   * Validates `input` against the workflow's schema and serializes it, as `engine.start` does.
   * @throws WorkflowNotRegisteredError, ValidationError, SerializationError
   */
  prepareInput(workflow: AnyWorkflow, input: unknown): Promise<SerializedValue>;
  /**
   * The caller's trace context from the engine's observers, to store as `traceContext` with a
   * workflow the plugin creates (an enqueue), so its runs continue the caller's trace.
   */
  traceContext(): TraceCarrier | undefined;
  /**
   * Runs PENDING workflows the plugin assigned to this executor (e.g. claimed from a queue).
   * Those in `options.withoutSteps` are known to have no recorded steps (the claim said so):
   * they start with an empty history instead of reading it.
   */
  run(records: readonly WorkflowRecord[], options?: PluginRunOptions): Promise<void>;
  /**
   * The `maxRecoveryAttempts` of each workflow registered here, by name: what a plugin that puts
   * crashed work back (a queue's claim) counts recoveries against, as the engine's recovery does.
   */
  maxRecoveryAttempts(): Readonly<Record<string, number>>;
  /**
   * Reports workflows the plugin's claim moved to `DEAD_LETTER`: observers get
   * `workflow.dead-lettered` (and the log an error), as for the engine's own recovery.
   */
  reportDeadLettered(records: readonly WorkflowRecord[]): void;
  /** Called whenever a run in this process ends, with the status it ended in. */
  onRunEnded(listener: (workflowId: string, status: WorkflowStatus) => void): void;
  /** Called with every store notification. */
  onNotification(listener: (notification: StoreNotification) => void): void;
  /** A handle on a workflow, typed and validating when given its definition. */
  handle(workflowId: string, workflow?: AnyWorkflow): WorkflowHandle<unknown>;
}
