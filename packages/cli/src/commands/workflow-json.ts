/**
 * The JSON shapes `--json` prints for workflows and steps: the fields of core's `WorkflowInfo`
 * and `StepInfo` with dates as ISO strings and values through `toJsonValue`. Scripts rely on
 * these names; docs/operations.md lists them.
 */
import type { StepInfo, WorkflowInfo, WorkflowStatusInfo } from "@cairn/core";
import { toJsonValue } from "../output/values.js";

const iso = (date: Date | undefined) => (date === undefined ? null : date.toISOString());

/** A workflow's status fields (no values). */
export function workflowStatusJson(w: WorkflowStatusInfo): Record<string, unknown> {
  return {
    workflowId: w.workflowId,
    name: w.name,
    status: w.status,
    executorId: w.executorId,
    queueName: w.queueName ?? null,
    parentWorkflowId: w.parentWorkflowId ?? null,
    forkedFrom: w.forkedFrom ?? null,
    appVersion: w.appVersion ?? null,
    recoveryAttempts: w.recoveryAttempts,
    deadlineAt: iso(w.deadlineAt),
    createdAt: iso(w.createdAt),
    updatedAt: iso(w.updatedAt),
    startedAt: iso(w.startedAt),
    completedAt: iso(w.completedAt),
    priority: w.priority ?? null,
    dedupId: w.dedupId ?? null,
    partitionKey: w.partitionKey ?? null,
    attributes: w.attributes ?? null,
  };
}

/** A workflow with its input, output and error. */
export function workflowJson(w: WorkflowInfo): Record<string, unknown> {
  return {
    ...workflowStatusJson(w),
    input: toJsonValue(w.input),
    output: toJsonValue(w.output),
    error: toJsonValue(w.error),
  };
}

/** One checkpoint, with its duration in ms. */
export function stepJson(s: StepInfo): Record<string, unknown> {
  return {
    position: s.position,
    name: s.name,
    attempts: s.attempts,
    startedAt: iso(s.startedAt),
    completedAt: iso(s.completedAt),
    durationMs: s.completedAt.getTime() - s.startedAt.getTime(),
    childWorkflowId: s.childWorkflowId ?? null,
    output: toJsonValue(s.output),
    error: toJsonValue(s.error),
  };
}
