/**
 * What a handle (and a wait on several handles) reads from the engine or client that made it:
 * the store, the wake-ups, the outside operations to send and read through, and the local run
 * when the workflow runs in this process.
 */
import type { Serializer } from "../serialization.js";
import type { ChannelSchemas } from "../channels.js";
import type { ReadStreamOptions, SendOptions } from "../handle.js";
import type { WorkflowStore } from "../store/workflow-store.js";
import type { WaitOptions } from "../wait-options.js";
import type { RunOutcome } from "./run-outcome.js";
import type { Wakeups } from "./wakeups.js";

/** The outside operations a handle sends and reads through. */
export interface HandleOperations {
  /** Sends; `validated` when a typed handle already parsed the message with the schema. */
  send(
    workflowId: string,
    topic: string,
    message: unknown,
    options?: SendOptions,
    validated?: boolean,
  ): Promise<void>;
  getEvent(workflowId: string, key: string, options?: WaitOptions): Promise<unknown>;
  readStream(
    workflowId: string,
    key: string,
    options?: ReadStreamOptions,
    channels?: ChannelSchemas,
  ): AsyncIterableIterator<unknown>;
}

/** What a handle reads from its engine or client. */
export interface HandleSource {
  readonly store: WorkflowStore;
  readonly wakeups: Wakeups;
  readonly serializer: Serializer;
  readonly operator: HandleOperations;
  /** The outcome promise of a run in this process, if there is one. */
  localRun(workflowId: string): Promise<RunOutcome> | undefined;
  /** Throws when the engine can no longer answer. */
  assertOpen(): void;
}
