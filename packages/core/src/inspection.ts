/**
 * What `listWorkflows` and `listSteps` return: the stored state of workflows and their
 * checkpoints, decoded, for dashboards, operators and tests.
 */
import type { WorkflowStatusInfo } from "./handle.js";
import type { WorkflowStatus } from "./store/records.js";

/** Filters of `listWorkflows`; every field is optional and they combine with AND. */
export interface ListWorkflowsFilter {
  readonly status?: WorkflowStatus | readonly WorkflowStatus[];
  readonly name?: string;
  readonly executorId?: string;
  readonly parentWorkflowId?: string;
  readonly workflowIds?: readonly string[];
  readonly createdAfter?: Date | number;
  readonly createdBefore?: Date | number;
  /** Workflows recorded with this application version. */
  readonly appVersion?: string;
  /** Workflows enqueued on this queue. */
  readonly queue?: string;
  /** Default 100. */
  readonly limit?: number;
  readonly offset?: number;
  /** By creation time. Default `"asc"`. */
  readonly order?: "asc" | "desc";
}

/** A workflow as `listWorkflows` reports it: its status and its decoded input and outcome. */
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
  /** The step's name, `workflow:<name>` for a child start, or `cairn.*` for context operations. */
  readonly name: string;
  readonly output: unknown;
  /** The recorded error, if the operation failed. */
  readonly error: unknown;
  readonly childWorkflowId: string | undefined;
  readonly attempts: number;
  readonly startedAt: Date;
  readonly completedAt: Date;
}
