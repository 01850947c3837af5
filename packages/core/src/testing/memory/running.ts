/** The running role of the memory store: create, checkpoint, finish, read and list workflows. */
import type { WorkflowRecord } from "../../store/records.js";
import type { RunningStore, WorkflowFilter } from "../../store/running-store.js";
import type { MemoryTables } from "./tables.js";

export function memoryRunning(t: MemoryTables): RunningStore {
  return {
    async createWorkflow(workflow, options) {
      t.enter("createWorkflow");
      t.refuseTransaction(options);
      const result = t.insertWorkflow(workflow, undefined);
      if (result.created && workflow.notify === true) t.notifyStatus(result.workflow);
      return result;
    },
    async getWorkflow(workflowId) {
      t.enter("getWorkflow");
      return t.workflows.get(workflowId)?.record;
    },
    async listSteps(workflowId) {
      t.enter("listSteps");
      const list = [...(t.steps.get(workflowId)?.values() ?? [])];
      return list.sort((a, b) => a.position - b.position);
    },
    async recordStep(step, fence) {
      t.enter("recordStep");
      t.checkFence(step.workflowId, fence);
      return t.insertStep(step);
    },
    async finishWorkflow(outcome, fence) {
      t.enter("finishWorkflow");
      const stored = t.workflows.get(outcome.workflowId);
      if (!stored || stored.record.status !== "PENDING") return false;
      t.checkFence(outcome.workflowId, fence);
      t.update(stored, {
        status: outcome.status,
        output: outcome.output,
        error: outcome.error,
        executorId: outcome.executorId,
      });
      return true;
    },
    async listWorkflows(filter) {
      t.enter("listWorkflows");
      const matches = [...t.workflows.values()]
        .map((stored) => stored.record)
        .filter((record) => matchesFilter(record, filter))
        .sort(compareCreated);
      if (filter.order === "desc") matches.reverse();
      const offset = filter.offset ?? 0;
      return matches.slice(offset, offset + (filter.limit ?? 100));
    },
  };
}

function compareCreated(a: WorkflowRecord, b: WorkflowRecord): number {
  if (a.createdAt !== b.createdAt) return a.createdAt - b.createdAt;
  return a.workflowId < b.workflowId ? -1 : a.workflowId > b.workflowId ? 1 : 0;
}

function matchesFilter(record: WorkflowRecord, filter: WorkflowFilter): boolean {
  const statuses = typeof filter.status === "string" ? [filter.status] : filter.status;
  return (
    (statuses === undefined || statuses.includes(record.status)) &&
    (filter.name === undefined || record.name === filter.name) &&
    (filter.executorId === undefined || record.executorId === filter.executorId) &&
    (filter.parentWorkflowId === undefined ||
      record.parentWorkflowId === filter.parentWorkflowId) &&
    (filter.workflowIds === undefined || filter.workflowIds.includes(record.workflowId)) &&
    (filter.createdAfter === undefined || record.createdAt >= filter.createdAfter) &&
    (filter.createdBefore === undefined || record.createdAt < filter.createdBefore) &&
    (filter.appVersion === undefined || record.appVersion === filter.appVersion) &&
    (filter.queueName === undefined || record.queueName === filter.queueName)
  );
}
