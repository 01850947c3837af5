/**
 * Workflow handles: a result read from the local run when the workflow runs in this process,
 * else from the store, polling with backoff until it is final. (Event-driven waiting arrives
 * with notifications; polling stays as the fallback.)
 */
import {
  WorkflowCancelledError,
  WorkflowDeadLetteredError,
  WorkflowNotFoundError,
} from "../errors.js";
import type { WorkflowHandle, WorkflowStatusInfo } from "../handle.js";
import { deserialize } from "../serialization.js";
import type { WorkflowRecord, WorkflowStore } from "../store/workflow-store.js";
import type { RunOutcome } from "./execute-workflow.js";

/** What a handle reads from its engine. */
export interface HandleSource {
  readonly store: WorkflowStore;
  /** The outcome promise of a run in this process, if there is one. */
  localRun(workflowId: string): Promise<RunOutcome> | undefined;
  /** Throws when the engine can no longer answer. */
  assertOpen(): void;
}

const FIRST_POLL_MS = 10;
const MAX_POLL_MS = 500;

/** Creates a handle; it does no I/O until used. */
export function createHandle<Out>(workflowId: string, source: HandleSource): WorkflowHandle<Out> {
  return {
    workflowId,
    result: () => awaitResult<Out>(workflowId, source),
    async status() {
      source.assertOpen();
      const record = await source.store.getWorkflow(workflowId);
      if (!record) throw new WorkflowNotFoundError(workflowId);
      return statusInfo(record);
    },
  };
}

async function awaitResult<Out>(workflowId: string, source: HandleSource): Promise<Out> {
  for (let pollMs = FIRST_POLL_MS; ; pollMs = Math.min(pollMs * 2, MAX_POLL_MS)) {
    source.assertOpen();
    const local = source.localRun(workflowId);
    if (local) {
      const outcome = await local;
      if (outcome.kind === "interrupted") throw outcome.error;
      if (outcome.kind === "finished") {
        if (outcome.status === "ERROR") throw deserialize(outcome.error);
        return deserialize<Out>(outcome.output);
      }
    }
    const record = await source.store.getWorkflow(workflowId);
    if (!record) throw new WorkflowNotFoundError(workflowId);
    if (record.status !== "PENDING") return resultOf<Out>(record);
    await new Promise((resolve) => setTimeout(resolve, pollMs));
  }
}

/** The output of a finished workflow, or the error it ended with. */
export function resultOf<Out>(record: WorkflowRecord): Out {
  switch (record.status) {
    case "SUCCESS":
      return deserialize<Out>(record.output ?? "-1");
    case "ERROR":
      throw deserialize(record.error ?? "-1");
    case "DEAD_LETTER":
      throw new WorkflowDeadLetteredError(record.workflowId, record.recoveryAttempts);
    case "CANCELLED":
      throw new WorkflowCancelledError(record.workflowId);
    case "PENDING":
      throw new Error(`workflow ${record.workflowId} is still PENDING`);
  }
}

function statusInfo(record: WorkflowRecord): WorkflowStatusInfo {
  return {
    workflowId: record.workflowId,
    name: record.name,
    status: record.status,
    executorId: record.executorId,
    parentWorkflowId: record.parentWorkflowId,
    recoveryAttempts: record.recoveryAttempts,
    createdAt: new Date(record.createdAt),
    updatedAt: new Date(record.updatedAt),
  };
}
