/** The ownership role of the memory store: heartbeats, recovery and takeover claims, versions. */
import type { OwnershipStore, RecoveryResult } from "../../store/ownership-store.js";
import type { MemoryTables, StoredWorkflow } from "./tables.js";

type Unknown = { workflowId: string; name: string }[];

/** The order a recovery claim hands rows back in: `createdAt`, then `workflowId`. */
const oldestFirst = ({ record: a }: StoredWorkflow, { record: b }: StoredWorkflow): number =>
  a.createdAt - b.createdAt ||
  (a.workflowId < b.workflowId ? -1 : a.workflowId > b.workflowId ? 1 : 0);

export function memoryOwnership(t: MemoryTables): OwnershipStore {
  return {
    async heartbeat({ executorId, appVersion, leaseMs, workflowNames }) {
      t.enter("heartbeat");
      t.executors.set(executorId, {
        executorId,
        appVersion,
        leaseMs,
        heartbeatAt: t.now(),
        status: "alive",
        workflowNames: workflowNames === undefined ? undefined : [...workflowNames],
      });
    },
    async stopExecutor(executorId) {
      t.enter("stopExecutor");
      const executor = t.executors.get(executorId);
      if (executor) executor.status = "stopped";
    },
    async listExecutors(filter = {}) {
      t.enter("listExecutors");
      const { recentMs } = filter;
      const now = t.now();
      return [...t.executors.values()]
        .filter((e) => recentMs === undefined || e.heartbeatAt + e.leaseMs + recentMs >= now)
        .map((e) => ({ ...e, expired: t.expired(e) }));
    },
    async claimRecoverable(claim) {
      t.enter("claimRecoverable");
      const result: RecoveryResult = { recovered: [], deadLettered: [], unknown: [] };
      const only = claim.workflowIds && new Set(claim.workflowIds);
      const count = claim.countAttempts !== false;
      for (const stored of [...t.workflows.values()].sort(oldestFirst)) {
        const { record } = stored;
        if (record.status !== "PENDING" || record.executorId !== claim.executorId) continue;
        if (only && !only.has(record.workflowId)) continue;
        if (!t.versionAllowed(record, claim.appVersion)) continue;
        if (!claim.names.includes(record.name)) {
          const { workflowId, name } = record;
          (result.unknown as Unknown).push({ workflowId, name });
          continue;
        }
        t.claimOne(stored, claim, result, count);
      }
      return result;
    },
    async takeOver(claim) {
      t.enter("takeOver");
      const gone = (executorId: string) => {
        const executor = t.executors.get(executorId);
        return claim.ignoreLeases === true || !executor || t.expired(executor);
      };
      const result: RecoveryResult = { recovered: [], deadLettered: [], unknown: [] };
      for (const stored of t.workflows.values()) {
        const { record } = stored;
        if (result.recovered.length + result.deadLettered.length >= claim.limit) break;
        if (record.status !== "PENDING" || record.executorId === claim.executorId) continue;
        if (!gone(record.executorId) || t.heldElsewhere(record.workflowId)) continue;
        if (!claim.names.includes(record.name)) {
          const { workflowId, name } = record;
          (result.unknown as Unknown).push({ workflowId, name });
          continue;
        }
        if (!t.versionAllowed(record, claim.appVersion)) continue;
        t.claimOne(stored, claim, result);
      }
      return result;
    },
    async refundRecoveryAttempts(executorId, claimed) {
      t.enter("refundRecoveryAttempts");
      const refunded: string[] = [];
      for (const { workflowId, ownerEpoch } of claimed) {
        const stored = t.workflows.get(workflowId);
        const record = stored?.record;
        if (!stored || record?.status !== "PENDING" || record.executorId !== executorId) continue;
        // Named twice, lowered once: as Postgres's UPDATE … FROM changes each row once.
        if (record.ownerEpoch !== ownerEpoch || refunded.includes(workflowId)) continue;
        t.update(stored, { recoveryAttempts: Math.max(0, record.recoveryAttempts - 1) });
        refunded.push(workflowId);
      }
      return refunded;
    },
    async setAppVersion(workflowIds, appVersion) {
      t.enter("setAppVersion");
      const moved: string[] = [];
      for (const id of workflowIds) {
        const stored = t.workflows.get(id);
        if (stored?.record.status !== "PENDING") continue;
        t.update(stored, { appVersion });
        moved.push(id);
      }
      return moved;
    },
  };
}
