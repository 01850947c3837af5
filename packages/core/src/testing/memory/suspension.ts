/**
 * The suspension role of the memory store: a suspension is kept on the stored workflow with the
 * owner epoch it was written under, and counts only while the workflow is PENDING at that epoch
 * (a claim or resume voids it, as on SQL). Arrivals are checked when it is written and wake it
 * when they come (`MemoryTables.arrived`); both happen in one synchronous turn, so nothing falls
 * between the check and the write.
 */
import { Buffer } from "node:buffer";
import { WorkflowOwnershipLostError } from "../../errors.js";
import type { WorkflowRecord } from "../../store/records.js";
import type { WorkflowCursor } from "../../store/running-store.js";
import { wakeKeyOf, type SuspensionStore, type WakeOn } from "../../store/suspension-store.js";
import { FINAL_STATUSES, pairKey, type MemoryTables, type StoredWorkflow } from "./tables.js";

/** Whether `on` has arrived already. */
function hasArrived(t: MemoryTables, on: WakeOn): boolean {
  switch (on.kind) {
    case "message":
      return [...t.messages.values()].some(
        (m) => !m.consumed && m.destinationId === on.workflowId && m.topic === on.topic,
      );
    case "event":
      return t.events.has(pairKey(on.workflowId, on.key));
    case "status": {
      // One the store does not have counts as arrived: the wait reads again (the SQL stores
      // can only watch a finish of a workflow that exists when the suspension is written).
      const status = t.workflows.get(on.workflowId)?.record.status;
      return status === undefined || FINAL_STATUSES.includes(status);
    }
  }
}

export function memorySuspension(t: MemoryTables): SuspensionStore {
  const suspended = (stored: StoredWorkflow) => t.suspended(stored);
  const due = (stored: StoredWorkflow, now: number) =>
    stored.wakeAt !== undefined && stored.wakeAt <= now;
  return {
    async suspendWorkflow(workflowId, wakeAt, fence, wakeOn = []) {
      t.enter("suspendWorkflow");
      t.checkFence(workflowId, fence);
      const stored = t.workflows.get(workflowId);
      if (stored?.record.status !== "PENDING") {
        throw new WorkflowOwnershipLostError(workflowId, fence.executorId);
      }
      if (wakeOn.some((on) => hasArrived(t, on))) return false;
      const keys = wakeOn.map(wakeKeyOf);
      stored.wakeAt = wakeAt;
      stored.wakeEpoch = stored.record.ownerEpoch;
      stored.wakeKeys = keys.length > 0 ? keys : undefined;
      for (const key of keys) {
        let ids = t.waiters.get(key);
        if (!ids) t.waiters.set(key, (ids = new Set()));
        ids.add(workflowId);
      }
      return true;
    },
    async claimDueWorkflows({ executorId, now, limit }) {
      t.enter("claimDueWorkflows");
      const mine = [...t.workflows.values()]
        .filter((s) => s.record.executorId === executorId && suspended(s))
        .sort((a, b) => (a.wakeAt ?? Infinity) - (b.wakeAt ?? Infinity));
      const workflows: WorkflowRecord[] = [];
      for (const stored of mine.filter((s) => due(s, now)).slice(0, limit)) {
        stored.wakeAt = undefined;
        stored.wakeEpoch = undefined;
        stored.wakeKeys = undefined;
        workflows.push(stored.record);
      }
      const next = mine.find((s) => suspended(s) && s.wakeAt !== undefined);
      return { workflows, nextWakeAt: next?.wakeAt };
    },
    async listRunnable(executorId, limit, after) {
      t.enter("listRunnable");
      const order = (a: WorkflowCursor, b: WorkflowCursor) =>
        a.createdAt - b.createdAt ||
        (a.workflowId < b.workflowId ? -1 : a.workflowId > b.workflowId ? 1 : 0);
      return [...t.workflows.values()]
        .filter(
          (s) =>
            s.record.status === "PENDING" && s.record.executorId === executorId && !suspended(s),
        )
        .map((s) => s.record)
        .filter((record) => after === undefined || order(record, after) > 0)
        .sort(order)
        .slice(0, limit);
    },
    async listCreatedBatch(executorId, createdAt, limit, afterId) {
      t.enter("listCreatedBatch");
      return [...t.workflows.values()]
        .filter(
          (s) =>
            s.record.status === "PENDING" &&
            s.record.executorId === executorId &&
            s.record.createdAt === createdAt &&
            !suspended(s) &&
            (afterId === undefined || byteOrder(s.record.workflowId, afterId) > 0),
        )
        .sort((a, b) => byteOrder(a.record.workflowId, b.record.workflowId))
        .slice(0, limit)
        .map((s) => ({
          record: s.record,
          history: [...(t.steps.get(s.record.workflowId)?.values() ?? [])].sort(
            (a, b) => a.position - b.position,
          ),
        }));
    },
  };
}

/** Compares as Postgres' `collate "C"` does: by code point (UTF-8 byte order). */
function byteOrder(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a), Buffer.from(b));
}
