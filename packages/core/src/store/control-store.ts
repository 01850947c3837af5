/**
 * The control role of the store contract: what operators do to workflows from the outside —
 * cancel (with descendants), resume after a failure or cancellation, fork from a position, delete
 * finished workflows (with descendants), set attributes. Each is one transaction; those that
 * change a status notify `status`, so the owning engine reacts at once. The contract suite's
 * `control/` files test it.
 */
import type { WorkflowAttributes } from "../attributes.js";
import type { CreateWorkflowResult } from "./running-store.js";
import type { WorkflowRecord } from "./records.js";

/** Where a fork waits when it goes on a queue instead of to an executor. */
export interface ForkQueue {
  readonly queueName: string;
  /** `""` on a queue that is not partitioned. */
  readonly partitionKey: string;
  /** Lower runs first. */
  readonly priority: number;
  /** The fork's deadline is set to its claim time plus this. */
  readonly timeoutMs?: number | undefined;
}

/** What `forkWorkflow` copies, and to whom the fork belongs. */
export interface ForkRequest {
  readonly sourceId: string;
  readonly newId: string;
  /**
   * What was recorded at positions below this is copied — checkpoints, stream entries, and each
   * event's value as it stood — and the fork runs again from here.
   */
  readonly fromPosition: number;
  /** The executor that owns (runs) the fork, unless it goes on a queue. */
  readonly executorId: string;
  /** The application version the fork must run on; absent: any version. */
  readonly appVersion?: string | undefined;
  /** Epoch ms past which the fork is cancelled; absent: no deadline. Ignored with `queue`. */
  readonly deadlineAt?: number | undefined;
  /**
   * Put the fork on this queue (`ENQUEUED`, owned by no executor, claimed within the queue's
   * limits) instead of giving it to `executorId`. A store without queues refuses it with
   * `InvalidOptionError` and writes nothing.
   */
  readonly queue?: ForkQueue | undefined;
}

/** What `cancelWorkflows` cancels besides the workflows named. */
export interface CancelScope {
  /** Their descendants too (`PENDING` or `ENQUEUED` ones, at any depth). */
  readonly children: boolean;
  /**
   * A deadline's cancel (epoch ms): of the descendants, only those whose own deadline is at or
   * before this — the ones that inherited it. A child detached from its parent's deadline, or
   * given a later one of its own, keeps running. Absent: every descendant.
   */
  readonly deadlineAt?: number | undefined;
}

/** Cancel, resume, fork, delete, set attributes. */
export interface ControlStore {
  /**
   * Moves `PENDING` or `ENQUEUED` workflows to `CANCELLED` (notifying `status` for each): this
   * one, and with `children`, every such descendant (also below a finished child, and even when
   * this one is finished). Returns the IDs it cancelled; `[]` for an unknown workflow.
   */
  cancelWorkflow(workflowId: string, options: { readonly children: boolean }): Promise<string[]>;

  /**
   * `cancelWorkflow` for each of `workflowIds` at once, in one transaction: returns every ID it
   * moved to `CANCELLED` (those named and descendants alike, each once). Unknown IDs and
   * workflows in another status are left out. `scope.deadlineAt` limits the descendants to those
   * that share the deadline (a timeout's cascade).
   */
  cancelWorkflows(workflowIds: readonly string[], scope: CancelScope): Promise<string[]>;

  /**
   * Makes a `CANCELLED`, `ERROR` or `DEAD_LETTER` workflow `PENDING` again, owned by
   * `executorId` (with `ownerEpoch` incremented), its outcome cleared, recovery attempts at 0
   * and `deadlineAt` cleared (a timed-out workflow could not run otherwise) (notifying
   * `status`). Checkpoints that recorded errors at the end of its history (after its last
   * successful checkpoint) are deleted so those steps run again. Returns the updated row;
   * `undefined` if no such workflow. A `PENDING` or `SUCCESS` workflow is returned unchanged.
   * A store that also keeps queue items (`@cairn/queue`) puts a queued workflow back in its
   * queue instead: `ENQUEUED`, owned by no executor (`QUEUED_EXECUTOR`), in its partition at its
   * priority, and notifies the queue, so the queue's limits apply to its rerun.
   */
  resumeWorkflow(workflowId: string, executorId: string): Promise<WorkflowRecord | undefined>;

  /**
   * `resumeWorkflow` for each of `workflowIds` at once, in one transaction: returns the rows of
   * those it resumed (`PENDING` for `executorId`, or `ENQUEUED` back in their queue). Unknown
   * IDs and workflows that were not `CANCELLED`, `ERROR` or `DEAD_LETTER` are left out.
   */
  resumeWorkflows(workflowIds: readonly string[], executorId: string): Promise<WorkflowRecord[]>;

  /**
   * Creates workflow `newId` with the name, input and attributes of `sourceId`, copies of its
   * checkpoints and stream entries at positions below `fromPosition`, and its events with the
   * value each had before `fromPosition` (set by a `setEvent` checkpoint there; events set
   * without one are not copied), and notifies `status` (and the queue, with `fork.queue`). One
   * transaction. The fork is a top-level workflow: no parent, `forkedFrom: sourceId`, the
   * version and deadline the request gives. Returns
   * `created: false` with the existing row if `newId` is taken; `undefined` if `sourceId` does
   * not exist.
   */
  forkWorkflow(fork: ForkRequest): Promise<CreateWorkflowResult | undefined>;

  /**
   * Sets a workflow's attributes, whatever its status: replaces them, or with `merge` sets the
   * given top-level keys and keeps the others. Returns the updated row; `undefined` if no such
   * workflow. Leaves `updatedAt` as it was (it tracks the workflow's state, which retention
   * reads) and notifies nothing. `attributes` is already validated.
   */
  setAttributes(
    workflowId: string,
    attributes: WorkflowAttributes,
    options: { readonly merge: boolean },
  ): Promise<WorkflowRecord | undefined>;

  /**
   * Deletes finished workflows (`SUCCESS`, `ERROR`, `CANCELLED`, `DEAD_LETTER`) — these, and
   * with `children` every finished descendant — with their steps, messages, events and streams
   * (and anything a store keeps beside them, such as queue items). One transaction. Unfinished
   * ones are left (cancel them first). Returns the IDs it deleted.
   */
  deleteWorkflows(
    workflowIds: readonly string[],
    options: { readonly children: boolean },
  ): Promise<string[]>;
}
