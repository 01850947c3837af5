/** The lifecycle role of the memory store: migrate (nothing to do), retention, close. */
import type { LifecycleStore } from "../../store/lifecycle-store.js";
import type { WorkflowStatus } from "../../store/records.js";
import type { MemoryTables } from "./tables.js";

const finished: readonly WorkflowStatus[] = ["SUCCESS", "ERROR", "CANCELLED"];

export function memoryLifecycle(t: MemoryTables): LifecycleStore & { readonly exclusive: true } {
  return {
    exclusive: true,
    async migrate() {
      t.enter("migrate");
    },
    async deleteFinished(finishedBefore, limit) {
      t.enter("deleteFinished");
      const doomed = [...t.workflows.values()]
        .map((w) => w.record)
        .filter((r) => finished.includes(r.status) && r.updatedAt < finishedBefore)
        .slice(0, limit);
      for (const { workflowId } of doomed) t.deleteWorkflow(workflowId);
      return doomed.length;
    },
    async close() {
      t.calls.close += 1;
      t.closed = true;
      t.listeners.clear();
    },
  };
}
