/**
 * The names Cairn's spans and metrics carry, in one place so dashboards and queries can rely on
 * them. Span attributes may name a workflow ID; metric attributes never do (one series per
 * workflow would be unbounded), only names, statuses, causes and queues.
 */

/** The workflow's ID (spans only). */
export const WORKFLOW_ID = "cairn.workflow.id";
/** The workflow's registered name. */
export const WORKFLOW_NAME = "cairn.workflow.name";
/** The status a run left the workflow in: SUCCESS, ERROR, CANCELLED, or PENDING (stopped here). */
export const WORKFLOW_STATUS = "cairn.workflow.status";
/** Recoveries since the workflow last made progress (0 on a first run). */
export const WORKFLOW_RECOVERY_ATTEMPT = "cairn.workflow.recovery_attempt";
/** Why the run began here: start, pickup, recovery or takeover. */
export const RUN_CAUSE = "cairn.run.cause";
/** The parent workflow's ID, for a child (spans only). */
export const PARENT_WORKFLOW_ID = "cairn.workflow.parent_id";
/** The executor (engine) that ran it. */
export const EXECUTOR_ID = "cairn.executor.id";
/** The queue a queued workflow came from. */
export const QUEUE_NAME = "cairn.queue.name";
/** The step's (or transaction's) name. */
export const STEP_NAME = "cairn.step.name";
/** `step` or `transaction`. */
export const STEP_KIND = "cairn.step.kind";
/** The step's position in the workflow's history (spans only). */
export const STEP_POSITION = "cairn.step.position";
/** 1-based attempt number. */
export const STEP_ATTEMPT = "cairn.step.attempt";
/** How an attempt ended: `ok` or `error`. */
export const STEP_OUTCOME = "cairn.step.outcome";
