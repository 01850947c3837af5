/**
 * Deleting finished workflows on request, from an engine or a client: validates the IDs and
 * asks the store to delete them (with their finished descendants unless told otherwise) and
 * everything recorded for them, in one transaction. Unfinished workflows are left; cancel them
 * first. Retention (`deleteFinished`) deletes old ones by age instead.
 */
import { InvalidOptionError } from "../errors.js";
import type { WorkflowStore } from "../store/workflow-store.js";

/** Options of `deleteWorkflows`. */
export interface DeleteWorkflowsOptions {
  /** Also delete their finished descendants (children started with `ctx.start`). Default true. */
  readonly children?: boolean;
}

/** Deletes the finished ones of `workflowIds`; returns the IDs deleted. */
export async function deleteWorkflows(
  store: WorkflowStore,
  workflowIds: readonly string[],
  options: DeleteWorkflowsOptions = {},
): Promise<string[]> {
  if (!Array.isArray(workflowIds)) {
    throw new InvalidOptionError("workflowIds", "expected an array of workflow IDs");
  }
  for (const id of workflowIds) {
    if (typeof id !== "string" || id === "") {
      throw new InvalidOptionError("workflowIds", "expected non-empty strings");
    }
  }
  return store.deleteWorkflows(workflowIds, { children: options.children ?? true });
}
