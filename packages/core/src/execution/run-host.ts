/**
 * What a run needs from the engine that owns it: the store, the clock, the wake-ups, the
 * observers, and what only the engine can do — start a child workflow (through the start path),
 * enqueue one (through its queue plugin), validate a workflow's input and make a handle. The journal, the durable calls and the communication code reach
 * the engine only through it.
 */
import type { WorkflowAttributes } from "../attributes.js";
import type { Clock } from "../clock.js";
import type { ChildEnqueueOptions, EnqueueTarget } from "../context.js";
import type { ChildEnqueueWrite } from "../plugin.js";
import type { SerializedValue } from "../store/records.js";
import type { WorkflowHandle } from "../handle.js";
import type { Logger } from "../logger.js";
import type { TraceCarrier } from "../observer.js";
import type { Serializer } from "../serialization.js";
import type { WorkflowStore } from "../store/workflow-store.js";
import type { WorkflowDefinition } from "../workflow.js";
import type { Observers } from "./observers.js";
import type { OutageMonitor } from "./outage.js";
import type { ReceiverChannels } from "./receiver-channels.js";
import type { ReplayOnly } from "./replay-only.js";
import type { Wakeups } from "./wakeups.js";

/** What a run needs from the engine that owns it. */
export interface RunHost {
  readonly store: WorkflowStore;
  readonly logger: Logger;
  /** Encodes and decodes every stored value. */
  readonly serializer: Serializer;
  readonly executorId: string;
  readonly appVersion: string | undefined;
  readonly wakeups: Wakeups;
  readonly observers: Observers;
  /** Receivers' message schemas this engine knows by name; `ctx.send` validates with them. */
  readonly receivers?: ReceiverChannels;
  readonly outage: OutageMonitor;
  /** Durable time: sleeps, deadlines, timeouts, retry backoff. */
  readonly clock: Clock;
  /** A wait at least this long suspends the run (decision 0014); `undefined`: never. */
  readonly suspendAfterMs?: number | undefined;
  /** Set on a replay-only engine (`replayHistory`): runs stop where their history ends. */
  readonly replayOnly: ReplayOnly | undefined;
  /** Creates the child workflow (or finds it) and runs it here if it was created. */
  startChild(child: {
    definition: WorkflowDefinition;
    input: unknown;
    workflowId: string;
    parentWorkflowId: string;
    deadlineAt: number | undefined;
    traceContext: TraceCarrier | undefined;
    attributes: WorkflowAttributes | undefined;
  }): Promise<void>;
  /**
   * Checks a `ctx.enqueue` call with the engine's queue plugin and returns the write of its
   * child; `undefined` when the engine has no queue plugin.
   * @throws InvalidOptionError (a bad queue or option)
   */
  enqueueChild(queue: EnqueueTarget, options: ChildEnqueueOptions): ChildEnqueueWrite | undefined;
  /**
   * Validates a workflow's input against its schema and serializes it, as a start does.
   * @throws WorkflowNotRegisteredError, ValidationError, SerializationError
   */
  serializeInput(definition: WorkflowDefinition, input: unknown): Promise<SerializedValue>;
  handle(workflowId: string, definition?: WorkflowDefinition): WorkflowHandle<unknown>;
}
