/**
 * The running role of the store contract: what an engine needs to start a workflow, record its
 * checkpoints, read its history when replaying, finish it, and list workflows. Each method is one
 * atomic transition and, on a SQL store, one round trip; the contract suite's `running/` files
 * test it.
 */
import type { WorkflowAttributes } from "../attributes.js";
import type { TraceCarrier } from "../observer.js";
import type {
  CallerTransaction,
  Fence,
  SerializedValue,
  StepAttempt,
  StepRecord,
  WorkflowRecord,
  WorkflowStatus,
} from "./records.js";

/** What the engine writes to start a workflow. The store sets status `PENDING` and timestamps. */
export interface NewWorkflow {
  readonly workflowId: string;
  readonly name: string;
  readonly input: SerializedValue;
  readonly executorId: string;
  readonly parentWorkflowId?: string | undefined;
  /** The application version it must run on; `undefined`: any. */
  readonly appVersion?: string | undefined;
  /** `ENQUEUED` to create it waiting in queue `queueName` (a queue store's job). Default `PENDING`. */
  readonly status?: "PENDING" | "ENQUEUED" | undefined;
  readonly queueName?: string | undefined;
  /** Epoch ms past which the workflow is cancelled. */
  readonly deadlineAt?: number | undefined;
  /**
   * Notify `status` when created, so the owning engine picks the workflow up at once. Clients
   * set it; an engine starting its own workflow does not (it runs it directly).
   */
  readonly notify?: boolean | undefined;
  /** The creator's trace context (opaque text headers), kept with the workflow as given. */
  readonly traceContext?: TraceCarrier | undefined;
  /** Attributes to search it by, already validated (`assertAttributes`). */
  readonly attributes?: WorkflowAttributes | undefined;
}

/** What the store answers to `createWorkflow`. `created: false` means the ID was taken. */
export interface CreateWorkflowResult {
  readonly created: boolean;
  /** The new row, or the existing one untouched when `created` is false. */
  readonly workflow: WorkflowRecord;
}

/** What the engine writes when a workflow finishes. */
export interface WorkflowOutcome {
  readonly workflowId: string;
  /** The executor that finished it; the row's `executorId` becomes this. */
  readonly executorId: string;
  readonly status: "SUCCESS" | "ERROR";
  readonly output?: SerializedValue | undefined;
  readonly error?: SerializedValue | undefined;
}

/** A position in a listing: the `createdAt` and `workflowId` of the last row a page returned. */
export interface WorkflowCursor {
  readonly createdAt: number;
  readonly workflowId: string;
}

/** Filters of `listWorkflows`. Every field is optional; they combine with AND. */
export interface WorkflowFilter {
  readonly status?: WorkflowStatus | readonly WorkflowStatus[];
  /** One name, or any of several. */
  readonly name?: string | readonly string[];
  readonly executorId?: string;
  readonly parentWorkflowId?: string;
  /** `true`: only workflows without a parent; `false`: only child workflows. */
  readonly topLevel?: boolean;
  readonly workflowIds?: readonly string[];
  /** IDs that start with this text (compared exactly, no wildcards). */
  readonly workflowIdPrefix?: string;
  /** Forks of this workflow. */
  readonly forkedFrom?: string;
  /** Created at or after this epoch ms. */
  readonly createdAfter?: number;
  /** Created strictly before this epoch ms. */
  readonly createdBefore?: number;
  /** Started (`startedAt`) at or after this epoch ms; workflows that never started don't match. */
  readonly startedAfter?: number;
  /** Started strictly before this epoch ms. */
  readonly startedBefore?: number;
  /** Finished (`completedAt`) at or after this epoch ms; unfinished workflows don't match. */
  readonly completedAfter?: number;
  /** Finished strictly before this epoch ms. */
  readonly completedBefore?: number;
  readonly appVersion?: string;
  readonly queueName?: string;
  /**
   * Workflows whose attributes contain this object, as Postgres's jsonb `@>` decides: every key
   * given is present with a value that contains the given one (objects recursively; an array
   * contains an array whose every element it contains; scalars are equal, `1` is not `"1"`).
   */
  readonly attributes?: WorkflowAttributes;
  /** Default 100. */
  readonly limit?: number;
  readonly offset?: number;
  /**
   * Keyset paging: only rows after this one in the listing's order (for `"asc"`, a later
   * `createdAt`, or the same and a greater `workflowId`; for `"desc"`, the reverse). Pass the
   * last row of the previous page: rows created meanwhile never shift or repeat a page.
   */
  readonly after?: WorkflowCursor;
  /** By `createdAt` (then `workflowId`). Default `"asc"`. */
  readonly order?: "asc" | "desc";
  /** `false`: leave `input` out (`undefined`), so it is neither read nor sent. Default `true`. */
  readonly loadInput?: boolean;
  /** `false`: leave `output` and `error` out (`undefined`). Default `true`. */
  readonly loadOutput?: boolean;
}

/**
 * A workflow as `listWorkflows` returns it: its record, with `input` `undefined` when the filter
 * said `loadInput: false` (and `output`, `error` when it said `loadOutput: false`).
 */
export type ListedWorkflow = Omit<WorkflowRecord, "input"> & {
  readonly input: SerializedValue | undefined;
};

/** Starting, checkpointing, finishing and listing workflows. */
export interface RunningStore {
  /**
   * Inserts a `PENDING` workflow, or returns the existing row if `workflowId` is taken (whatever
   * its name or status). Never overwrites. One round trip. With `options.tx`, the insert (and its
   * notification) happens inside the caller's transaction.
   */
  createWorkflow(workflow: NewWorkflow, options?: CallerTransaction): Promise<CreateWorkflowResult>;

  /**
   * Inserts many workflows at once, all or none, and returns one result per entry, in order:
   * what `createWorkflow` would answer if they were created one after another (an entry whose
   * ID an earlier entry took gets `created: false` and that entry's row). One round trip per
   * 1,000 entries; more than that in one transaction (the caller's with `options.tx`).
   * @throws WorkflowConflictError when an entry's ID is held, by a stored workflow or by an
   *   earlier entry, by a workflow of another name: nothing is written.
   */
  createWorkflows(
    workflows: readonly NewWorkflow[],
    options?: CallerTransaction,
  ): Promise<CreateWorkflowResult[]>;

  /** The workflow with this ID, or `undefined`. */
  getWorkflow(workflowId: string): Promise<WorkflowRecord | undefined>;

  /** Every checkpoint of the workflow, ordered by position. Read only when replaying. */
  listSteps(workflowId: string): Promise<StepRecord[]>;

  /**
   * {@link listSteps} for many workflows in one read: every ID given maps to its checkpoints,
   * ordered by position (an empty list for none or an unknown ID). What recovery, takeover and
   * waking suspended workflows read, a page at a time, instead of one read per workflow.
   * Optional: without it an engine calls `listSteps` once per workflow.
   */
  listStepsOf?(workflowIds: readonly string[]): Promise<ReadonlyMap<string, readonly StepRecord[]>>;

  /**
   * Records a checkpoint. First write wins: returns `true` if this call stored it, `false` if a
   * checkpoint already existed at (workflowId, position), which is left unchanged. One write and
   * no read on the happy path; a store may batch concurrent calls into one statement, but must
   * not resolve before the checkpoint is durable. Fenced (see {@link Fence}).
   */
  recordStep(step: StepRecord, fence?: Fence): Promise<boolean>;

  /**
   * Records that a step's attempt failed and when the next one is due, replacing what was
   * recorded for the position before. Only the retry path writes it, never a step whose first
   * attempt succeeds. Fenced (see {@link Fence}). Removed with its workflow.
   */
  recordStepAttempt(attempt: StepAttempt, fence?: Fence): Promise<void>;

  /** The failed attempts recorded for the workflow's steps, by position. Read only when resuming. */
  listStepAttempts(workflowId: string): Promise<StepAttempt[]>;

  /**
   * Records the final outcome of a `PENDING` workflow, and `outcome.executorId` as the executor
   * that finished it. Returns `false` (and changes nothing) if the workflow is not `PENDING` any
   * more; fenced (see {@link Fence}) while it is. One write; a store may batch concurrent calls.
   */
  finishWorkflow(outcome: WorkflowOutcome, fence?: Fence): Promise<boolean>;

  /**
   * Workflows matching `filter`, in `order` by creation time, then ID. Whole records unless the
   * filter leaves values out (a store implements both signatures with one function typed
   * `(filter: WorkflowFilter) => Promise<ListedWorkflow[]>`, cast to this method's type).
   */
  listWorkflows(filter: WorkflowFilter & { readonly loadInput?: true }): Promise<WorkflowRecord[]>;
  listWorkflows(filter: WorkflowFilter): Promise<ListedWorkflow[]>;
}
