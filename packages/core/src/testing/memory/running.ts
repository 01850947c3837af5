/** The running role of the memory store: create, checkpoint, finish, read and list workflows. */
import { WorkflowConflictError } from "../../errors.js";
import type { StepAttempt, StepRecord } from "../../store/records.js";
import type { RunningStore, WorkflowFilter } from "../../store/running-store.js";
import { listMatching } from "./listing.js";
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
    async createWorkflows(workflows, options) {
      t.enter("createWorkflows");
      t.refuseTransaction(options);
      const names = new Map<string, string>();
      for (const { workflowId, name } of workflows) {
        const held = names.get(workflowId) ?? t.workflows.get(workflowId)?.record.name;
        if (held !== undefined && held !== name) {
          throw new WorkflowConflictError(workflowId, held, name);
        }
        names.set(workflowId, name);
      }
      return workflows.map((workflow) => {
        const result = t.insertWorkflow(workflow, undefined);
        if (result.created && workflow.notify === true) t.notifyStatus(result.workflow);
        return result;
      });
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
    async listStepsOf(workflowIds) {
      t.enter("listStepsOf");
      const byId = new Map<string, StepRecord[]>();
      for (const id of workflowIds) {
        const list = [...(t.steps.get(id)?.values() ?? [])];
        byId.set(
          id,
          list.sort((a, b) => a.position - b.position),
        );
      }
      return byId;
    },
    async recordStep(step, fence) {
      t.enter("recordStep");
      t.checkFence(step.workflowId, fence);
      return t.insertStep(step);
    },
    async recordStepAttempt(attempt, fence) {
      t.enter("recordStepAttempt");
      t.checkFence(attempt.workflowId, fence);
      let map = t.stepAttempts.get(attempt.workflowId);
      if (!map) t.stepAttempts.set(attempt.workflowId, (map = new Map<number, StepAttempt>()));
      map.set(attempt.position, { ...attempt });
    },
    async listStepAttempts(workflowId) {
      t.enter("listStepAttempts");
      const list = [...(t.stepAttempts.get(workflowId)?.values() ?? [])];
      return list.sort((a, b) => a.position - b.position);
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
    listWorkflows: (async (filter: WorkflowFilter) => {
      t.enter("listWorkflows");
      return listMatching(
        [...t.workflows.values()].map((stored) => stored.record),
        filter,
      );
    }) as RunningStore["listWorkflows"],
  };
}
