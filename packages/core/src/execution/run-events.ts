/**
 * How a run looks to observers: the `RunInfo` made from the workflow's record when the run
 * begins here, the `RunEnd` made from its internal outcome, and the lifecycle event that ends
 * it. Pure translations; the run set decides when to emit them.
 */
import type { LifecycleEvent, RunCause, RunEnd, RunInfo } from "../observer.js";
import type { Serializer } from "../serialization.js";
import type { WorkflowRecord } from "../store/records.js";
import type { RunOutcome } from "./run-outcome.js";

/** The observers' view of a run of `record` beginning here now. */
export function runInfoOf(record: WorkflowRecord, executorId: string, cause: RunCause): RunInfo {
  return {
    workflowId: record.workflowId,
    workflowName: record.name,
    executorId,
    cause,
    recoveryAttempt: record.recoveryAttempts,
    parentWorkflowId: record.parentWorkflowId,
    queueName: record.queueName,
    createdAt: record.createdAt,
    startedAt: Date.now(),
    traceContext: record.traceContext,
  };
}

/** The status a run left its workflow in, and its error (or why it stopped). */
export function runEndOf(outcome: RunOutcome, serializer: Serializer): RunEnd {
  switch (outcome.kind) {
    case "finished":
      return outcome.status === "SUCCESS"
        ? { status: "SUCCESS" }
        : { status: "ERROR", error: serializer.deserialize(outcome.error) };
    case "cancelled":
      return { status: "CANCELLED", error: outcome.error };
    case "interrupted":
    case "lost":
      return { status: "PENDING", error: outcome.error };
    case "suspended":
      return { status: "PENDING" };
    case "superseded":
      return { status: outcome.record?.status ?? "PENDING" };
  }
}

/**
 * The event that reports how a run ended. None when another party finished the workflow first
 * (its outcome is not this run's), except a cancellation, which this run did end in.
 */
export function runEndedEvent(
  run: RunInfo,
  outcome: RunOutcome,
  end: RunEnd,
): LifecycleEvent | undefined {
  const durationMs = Date.now() - run.startedAt;
  if (outcome.kind === "superseded" && end.status !== "CANCELLED") return undefined;
  if (outcome.kind === "suspended") {
    return { type: "workflow.suspended", run, wakeAt: outcome.wakeAt, durationMs };
  }
  switch (end.status) {
    case "SUCCESS":
      return { type: "workflow.finished", run, durationMs };
    case "ERROR":
      return { type: "workflow.failed", run, error: end.error, durationMs };
    case "CANCELLED":
      return { type: "workflow.cancelled", run, durationMs };
    case "PENDING":
      return { type: "workflow.stopped", run, reason: end.error, durationMs };
    case "ENQUEUED":
    case "DEAD_LETTER":
      return undefined;
  }
}
