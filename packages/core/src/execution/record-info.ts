/**
 * Stored records as callers see them: a finished workflow's result (its output, or its error
 * thrown), a status snapshot, a workflow's info and its checkpoints as `listWorkflows` and
 * `listSteps` report them.
 */
import { WorkflowCancelledError, WorkflowDeadLetteredError } from "../errors.js";
import type { WorkflowStatusInfo } from "../handle.js";
import type { StepInfo, WorkflowInfo } from "../inspection.js";
import type { Serializer } from "../serialization.js";
import type { StepRecord, WorkflowRecord } from "../store/records.js";
import type { ListedWorkflow } from "../store/running-store.js";

/** The output of a finished workflow, or the error it ended with. */
export function resultOf<Out>(record: WorkflowRecord, serializer: Serializer): Out {
  switch (record.status) {
    case "SUCCESS":
      return serializer.deserialize<Out>(record.output ?? "-1");
    case "ERROR":
      throw serializer.deserialize(record.error ?? "-1");
    case "DEAD_LETTER":
      throw new WorkflowDeadLetteredError(record.workflowId, record.recoveryAttempts);
    case "CANCELLED":
      throw new WorkflowCancelledError(record.workflowId);
    case "PENDING":
    case "ENQUEUED":
      throw new Error(`workflow ${record.workflowId} is still ${record.status}`);
  }
}

/** The public snapshot of a workflow record. */
export function statusInfo(record: Omit<WorkflowRecord, "input">): WorkflowStatusInfo {
  return {
    workflowId: record.workflowId,
    name: record.name,
    status: record.status,
    executorId: record.executorId,
    parentWorkflowId: record.parentWorkflowId,
    recoveryAttempts: record.recoveryAttempts,
    deadlineAt: optionalDate(record.deadlineAt),
    forkedFrom: record.forkedFrom,
    queueName: record.queueName,
    appVersion: record.appVersion,
    createdAt: new Date(record.createdAt),
    updatedAt: new Date(record.updatedAt),
    startedAt: optionalDate(record.startedAt),
    completedAt: optionalDate(record.completedAt),
    priority: record.priority,
    dedupId: record.dedupId,
    partitionKey: record.partitionKey,
    attributes: record.attributes,
  };
}

const optionalDate = (at: number | undefined) => (at === undefined ? undefined : new Date(at));

function decode(serializer: Serializer, value: string | undefined): unknown {
  return value === undefined ? undefined : serializer.deserialize(value);
}

/** A stored workflow as `listWorkflows` reports it. */
export function workflowInfo(record: ListedWorkflow, serializer: Serializer): WorkflowInfo {
  return {
    ...statusInfo(record),
    input: decode(serializer, record.input),
    output: decode(serializer, record.output),
    error: decode(serializer, record.error),
  };
}

/** A checkpoint as `listSteps` reports it. */
export function stepInfo(record: StepRecord, serializer: Serializer): StepInfo {
  return {
    position: record.position,
    name: record.name,
    output: decode(serializer, record.output),
    error: decode(serializer, record.error),
    childWorkflowId: record.childWorkflowId,
    attempts: record.attempts,
    startedAt: new Date(record.startedAt),
    completedAt: new Date(record.completedAt),
  };
}
