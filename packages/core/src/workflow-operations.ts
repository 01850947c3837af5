/**
 * What an engine and a client both do to workflows from the outside, declared once: send them
 * messages, read their events and streams, cancel and delete them (one or many), resume many,
 * set their attributes, wait for several, list them and their checkpoints. `Engine` and
 * `Client` extend it; starting, resuming one and forking differ (an engine runs the workflow
 * itself, a client leaves it to the owning engine) and are declared by each, over the item and
 * option types of a bulk start declared here.
 */
import type { WorkflowAttributes } from "./attributes.js";
import type { DeleteWorkflowsOptions } from "./execution/delete-workflows.js";
import type { ReadStreamOptions, SendOptions } from "./handle.js";
import type { ListWorkflowsFilter, StepInfo, WorkflowInfo } from "./inspection.js";
import type { WorkflowStatus } from "./store/records.js";
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

/** A workflow `cancelMany` or `resumeMany` selected but did not change, and why. */
export interface SkippedWorkflow {
  readonly workflowId: string;
  /**
   * `"not-found"`: one of the filter's `workflowIds` that names no workflow (or one the rest of
   * the filter rules out). `"status"`: its status (in `status`) does not allow the operation —
   * it finished, or (for a resume) it is still running or waiting in its queue.
   */
  readonly reason: "not-found" | "status";
  /** Its status when it was skipped; absent for `"not-found"`. */
  readonly status?: WorkflowStatus;
}

/** What `cancelMany` did. */
export interface CancelManyResult {
  /**
   * Every workflow it moved to `CANCELLED`: those selected and, unless `children: false`, their
   * descendants — each once.
   */
  readonly cancelled: string[];
  /** Selected workflows it left as they were. */
  readonly skipped: SkippedWorkflow[];
}

/** What `resumeMany` did. */
export interface ResumeManyResult {
  /** The workflows it made `PENDING` again (or `ENQUEUED`, back in their queue). */
  readonly resumed: string[];
  /** Selected workflows it left as they were. */
  readonly skipped: SkippedWorkflow[];
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
   * Cancels every workflow `filter` selects, as `cancel` does each (descendants too unless
   * `children: false`), one statement per batch of 500. The filter is `listWorkflows`'s: IDs
   * (`workflowIds`), `name`, `queue`, `attributes`, `status`, time ranges... With neither
   * `status` nor `workflowIds` it selects only `PENDING` and `ENQUEUED` workflows; without
   * `limit`, every match (not 100). Resolves with what it cancelled and what it skipped, and why.
   * @throws InvalidOptionError for a filter that selects nothing by (only paging fields), or a
   *   bad field — nothing is cancelled.
   * @example
   * const { cancelled } = await engine.cancelMany({ attributes: { tenant: "acme" } });
   */
  cancelMany(
    filter: ListWorkflowsFilter,
    options?: { readonly children?: boolean },
  ): Promise<CancelManyResult>;
  /**
   * Resumes every `CANCELLED`, `ERROR` or `DEAD_LETTER` workflow `filter` selects, as `resume`
   * does each: from its last completed step, a queued one back in its queue. An engine runs
   * the others itself; a client leaves them to any live engine. Selection as `cancelMany`'s
   * (without `status` or `workflowIds`: only resumable workflows).
   * @throws InvalidOptionError as `cancelMany`.
   * @example
   * await engine.resumeMany({ status: "ERROR", name: "sendEmail", completedAfter: incidentStart });
   */
  resumeMany(filter: ListWorkflowsFilter): Promise<ResumeManyResult>;
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
