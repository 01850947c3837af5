/**
 * What `listWorkflows` and `listSteps` return: the stored state of workflows and their
 * checkpoints, decoded, for dashboards, operators and tests.
 */
import type { WorkflowAttributes } from "./attributes.js";
import type { WorkflowStatusInfo } from "./handle.js";
import type { WorkflowStatus } from "./store/records.js";

/** A moment in a filter: a `Date` or epoch milliseconds. */
export type Moment = Date | number;

/** Filters of `listWorkflows`; every field is optional and they combine with AND. */
export interface ListWorkflowsFilter {
  readonly status?: WorkflowStatus | readonly WorkflowStatus[];
  /** One workflow name, or any of several. */
  readonly name?: string | readonly string[];
  readonly executorId?: string;
  readonly parentWorkflowId?: string;
  /** `true`: only top-level workflows (no parent); `false`: only child workflows. */
  readonly topLevel?: boolean;
  readonly workflowIds?: readonly string[];
  /** IDs starting with this text (taken literally: `%` and `_` are not wildcards). */
  readonly workflowIdPrefix?: string;
  /** The forks of this workflow. */
  readonly forkedFrom?: string;
  /** Created at or after. */
  readonly createdAfter?: Moment;
  /** Created strictly before. */
  readonly createdBefore?: Moment;
  /** Started (`startedAt`: created, claimed from a queue or resumed) at or after. */
  readonly startedAfter?: Moment;
  readonly startedBefore?: Moment;
  /** Finished (`completedAt`) at or after; unfinished workflows never match a completion range. */
  readonly completedAfter?: Moment;
  readonly completedBefore?: Moment;
  /** Workflows recorded with this application version. */
  readonly appVersion?: string;
  /** Workflows enqueued on this queue. */
  readonly queue?: string;
  /**
   * Workflows whose attributes contain this object (Postgres's jsonb `@>`): every key given is
   * there with a containing value — nested objects key by key, arrays holding every element
   * given, scalars equal (`1` is not `"1"`). `{ tenant: "acme" }` finds every run of tenant acme.
   */
  readonly attributes?: WorkflowAttributes;
  /** Default 100. */
  readonly limit?: number;
  readonly offset?: number;
  /**
   * Keyset paging: only workflows after this one in the listing's order. Pass the last
   * `WorkflowInfo` of the previous page; workflows created meanwhile never shift a page.
   * @example
   * const next = await engine.listWorkflows({ order: "desc", limit: 50, after: page.at(-1) });
   */
  readonly after?: { readonly createdAt: Moment; readonly workflowId: string } | undefined;
  /** By creation time, then ID. Default `"asc"`. */
  readonly order?: "asc" | "desc";
  /** `false`: don't read or decode the input (`input` is `undefined`). Default `true`. */
  readonly loadInput?: boolean;
  /** `false`: don't read or decode the output and error (both `undefined`). Default `true`. */
  readonly loadOutput?: boolean;
}

/**
 * A workflow as `listWorkflows` reports it: its status and its decoded input and outcome (each
 * `undefined` when the filter left it out).
 */
export interface WorkflowInfo extends WorkflowStatusInfo {
  readonly input: unknown;
  /** The output, when `status` is `SUCCESS`. */
  readonly output: unknown;
  /** The error, when `status` is `ERROR`. */
  readonly error: unknown;
}

/** One checkpoint of a workflow, decoded. */
export interface StepInfo {
  readonly position: number;
  /**
   * The step's name, `workflow:<name>` for a child start, `enqueue:<name>` for a child's enqueue,
   * or `cairn.*` for context operations.
   */
  readonly name: string;
  readonly output: unknown;
  /** The recorded error, if the operation failed. */
  readonly error: unknown;
  readonly childWorkflowId: string | undefined;
  readonly attempts: number;
  readonly startedAt: Date;
  readonly completedAt: Date;
}
