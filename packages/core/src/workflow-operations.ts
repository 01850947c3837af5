/**
 * What an engine and a client both do to workflows from the outside, declared once: send them
 * messages, read their events and streams, cancel and delete them, set their attributes, wait
 * for several, list them and their checkpoints. `Engine` and `Client` extend it; starting, resuming and forking differ
 * (an engine runs the workflow itself, a client leaves it to the owning engine) and are declared
 * by each, over the item and option types of a bulk start declared here.
 */
import type { WorkflowAttributes } from "./attributes.js";
import type { DeleteWorkflowsOptions } from "./execution/delete-workflows.js";
import type { ReadStreamOptions, SendOptions } from "./handle.js";
import type { ListWorkflowsFilter, StepInfo, WorkflowInfo } from "./inspection.js";
import type { WaitForOptions, WaitOptions } from "./wait-options.js";

/**
 * One item of `engine.startMany()` / `client.startMany()`: the workflow's input and this item's
 * start options (`id`, `timeoutMs`, `attributes`; from a client also `executorId`), as a single
 * start takes them. `O` is the options type of that single start.
 */
export type StartManyItem<In, O = StartManyItemOptions> = O & { readonly input: In };

/** The per-item options of `engine.startMany()`: `engine.start`'s, without `tx`. */
export interface StartManyItemOptions {
  /** The workflow ID; an ID that exists gives that workflow's handle. Default: a random UUID. */
  readonly id?: string;
  /** Cancel the workflow if it has not finished this long after starting. */
  readonly timeoutMs?: number;
  /** A plain JSON object to find it by later, as `start`'s `attributes`. */
  readonly attributes?: WorkflowAttributes;
}

/** Options of `startMany()` that apply to the whole call. */
export interface StartManyOptions {
  /**
   * Start every item inside your own open transaction on the store's database, as `start`'s
   * `tx`: all of them exist if and only if that transaction commits.
   */
  readonly tx?: unknown;
}

/** Outside operations on workflows, shared by `Engine` and `Client`. */
export interface WorkflowOperations {
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

  /**
   * Sets a workflow's attributes, whatever its status: replaces them, or with `merge: true` sets
   * the given top-level keys and keeps the others. Resolves with the attributes it now has.
   * @throws InvalidOptionError for attributes that are not a plain JSON object of at most 16 KiB
   *   (nothing is written); WorkflowNotFoundError for an unknown ID.
   * @example
   * await engine.setAttributes(handle.workflowId, { escalated: true }, { merge: true });
   */
  setAttributes(
    workflowId: string,
    attributes: WorkflowAttributes,
    options?: { readonly merge?: boolean },
  ): Promise<WorkflowAttributes>;

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
}
