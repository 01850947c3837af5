/**
 * The suspension role of the memory store: a suspension is kept on the stored workflow with the
 * owner epoch it was written under, and counts only while the workflow is PENDING at that epoch
 * (a claim or resume voids it, as on SQL).
 */
import { WorkflowOwnershipLostError } from "../../errors.js";
import type { WorkflowRecord } from "../../store/records.js";
import type { SuspensionStore } from "../../store/suspension-store.js";
import type { MemoryTables, StoredWorkflow } from "./tables.js";

/** Whether `stored` is suspended now: PENDING, at the epoch its suspension was written under. */
const suspended = (stored: StoredWorkflow): stored is StoredWorkflow & { wakeAt: number } =>
  stored.wakeAt !== undefined &&
  stored.record.status === "PENDING" &&
  stored.wakeEpoch === stored.record.ownerEpoch;

export function memorySuspension(t: MemoryTables): SuspensionStore {
  return {
    async suspendWorkflow(workflowId, wakeAt, fence) {
      t.enter("suspendWorkflow");
      t.checkFence(workflowId, fence);
      const stored = t.workflows.get(workflowId);
      if (stored?.record.status !== "PENDING") {
        throw new WorkflowOwnershipLostError(workflowId, fence.executorId);
      }
      stored.wakeAt = wakeAt;
      stored.wakeEpoch = stored.record.ownerEpoch;
    },
    async claimDueWorkflows({ executorId, now, limit }) {
      t.enter("claimDueWorkflows");
      const mine = [...t.workflows.values()]
        .filter((s) => s.record.executorId === executorId && suspended(s))
        .sort((a, b) => (a.wakeAt ?? 0) - (b.wakeAt ?? 0));
      const due = mine.filter((s) => (s.wakeAt ?? 0) <= now).slice(0, limit);
      const workflows: WorkflowRecord[] = [];
      for (const stored of due) {
        stored.wakeAt = undefined;
        stored.wakeEpoch = undefined;
        workflows.push(stored.record);
      }
      const next = mine.find((s) => s.wakeAt !== undefined);
      return { workflows, nextWakeAt: next?.wakeAt };
    },
    async listRunnable(executorId, limit) {
      t.enter("listRunnable");
      return [...t.workflows.values()]
        .filter(
          (s) =>
            s.record.status === "PENDING" && s.record.executorId === executorId && !suspended(s),
        )
        .map((s) => s.record)
        .sort((a, b) => a.createdAt - b.createdAt || (a.workflowId < b.workflowId ? -1 : 1))
        .slice(0, limit);
    },
  };
}
