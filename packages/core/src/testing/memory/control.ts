/**
 * The control role of the memory store: cancel (with descendants), resume (a queued workflow back
 * into its queue), fork, delete.
 */
import type { CancelScope, ControlStore } from "../../store/control-store.js";
import { QUEUED_EXECUTOR } from "../../store/executor-ids.js";
import type { WorkflowRecord, WorkflowStatus } from "../../store/records.js";
import { forkInMemory } from "./fork.js";
import { FINAL_STATUSES, type MemoryTables } from "./tables.js";

const resumable: readonly WorkflowStatus[] = ["CANCELLED", "ERROR", "DEAD_LETTER"];

export function memoryControl(t: MemoryTables): ControlStore {
  return {
    async cancelWorkflow(workflowId, { children }) {
      t.enter("cancelWorkflow");
      return cancelInMemory(t, [workflowId], { children });
    },
    async cancelWorkflows(workflowIds, scope) {
      t.enter("cancelWorkflows");
      return cancelInMemory(t, workflowIds, scope);
    },
    async deleteWorkflows(workflowIds, { children }) {
      t.enter("deleteWorkflows");
      const targets = new Set(workflowIds);
      if (children)
        for (const id of workflowIds) for (const d of descendantsOf(t, id)) targets.add(d);
      const deleted: string[] = [];
      for (const id of targets) {
        const stored = t.workflows.get(id);
        if (!stored || !FINAL_STATUSES.includes(stored.record.status)) continue;
        t.deleteWorkflow(id);
        deleted.push(id);
      }
      return deleted;
    },
    async setAttributes(workflowId, attributes, { merge }) {
      t.enter("setAttributes");
      const stored = t.workflows.get(workflowId);
      if (!stored) return undefined;
      const given = structuredClone(attributes);
      const next = merge ? { ...stored.record.attributes, ...given } : given;
      stored.record = { ...stored.record, attributes: next }; // updatedAt tracks state, not tags
      return stored.record;
    },
    async resumeWorkflow(workflowId, executorId) {
      t.enter("resumeWorkflow");
      return resumeInMemory(t, workflowId, executorId) ?? t.workflows.get(workflowId)?.record;
    },
    async resumeWorkflows(workflowIds, executorId) {
      t.enter("resumeWorkflows");
      const resumed: WorkflowRecord[] = [];
      for (const id of new Set(workflowIds)) {
        const record = resumeInMemory(t, id, executorId);
        if (record) resumed.push(record);
      }
      return resumed;
    },
    async forkWorkflow(fork) {
      t.enter("forkWorkflow");
      return forkInMemory(t, fork);
    },
  };
}

/** Cancels the `PENDING` or `ENQUEUED` ones of `workflowIds` and (per `scope`) descendants. */
function cancelInMemory(
  t: MemoryTables,
  workflowIds: readonly string[],
  scope: CancelScope,
): string[] {
  const targets = new Set(workflowIds);
  if (scope.children) {
    const limit = scope.deadlineAt;
    for (const id of workflowIds)
      for (const d of descendantsOf(t, id)) {
        const deadline = t.workflows.get(d)?.record.deadlineAt;
        if (limit === undefined || (deadline !== undefined && deadline <= limit)) targets.add(d);
      }
  }
  const cancelled: string[] = [];
  for (const id of targets) {
    const stored = t.workflows.get(id);
    const status = stored?.record.status;
    if (!stored || (status !== "PENDING" && status !== "ENQUEUED")) continue;
    t.notifyStatus(t.update(stored, { status: "CANCELLED" }));
    cancelled.push(id);
  }
  return cancelled;
}

/** Resumes one workflow; `undefined` when it is unknown or not resumable. */
function resumeInMemory(
  t: MemoryTables,
  workflowId: string,
  executorId: string,
): WorkflowRecord | undefined {
  const stored = t.workflows.get(workflowId);
  if (!stored || !resumable.includes(stored.record.status)) return undefined;
  stored.recoveryProgress = dropTrailingErrors(t, workflowId);
  // A queued workflow waits in its queue again, so the queue's limits apply to its rerun.
  const queued = t.extensions.some((e) => e.resumes(workflowId));
  const record = t.update(stored, {
    status: queued ? "ENQUEUED" : "PENDING",
    executorId: queued ? QUEUED_EXECUTOR : executorId,
    ownerEpoch: stored.record.ownerEpoch + 1,
    output: undefined,
    error: undefined,
    recoveryAttempts: 0,
    deadlineAt: undefined,
    startedAt: queued ? undefined : t.now(), // a queued one starts at its claim
    completedAt: undefined,
  });
  t.notifyStatus(record);
  return record;
}

/** IDs of every descendant of `workflowId`, whatever their status, parents first. */
function descendantsOf(t: MemoryTables, workflowId: string): string[] {
  const found: string[] = [];
  const queue = [workflowId];
  for (let id = queue.shift(); id !== undefined; id = queue.shift()) {
    for (const { record } of t.workflows.values()) {
      if (record.parentWorkflowId === id && !found.includes(record.workflowId)) {
        found.push(record.workflowId);
        queue.push(record.workflowId);
      }
    }
  }
  return found;
}

/** Deletes the error checkpoints after the last successful one; returns how many remain. */
function dropTrailingErrors(t: MemoryTables, workflowId: string): number {
  const map = t.stepsOf(workflowId);
  const positions = [...map.keys()].sort((a, b) => b - a);
  for (const position of positions) {
    if (map.get(position)?.error === undefined) break;
    map.delete(position);
  }
  return map.size;
}
