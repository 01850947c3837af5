/**
 * The executor IDs that name no engine: stored in `executorId` to say who may take a workflow.
 * Every package that writes or reads them (core's client and run set, `@cairn/queue`, the SQL
 * store's queue statements, the chaos audit) takes them from here.
 */

/** The owner of a workflow a client started or resumed for "any engine": the first live one claims it. */
export const UNASSIGNED_EXECUTOR = "cairn:unassigned";

/** The owner of a workflow waiting in a queue: a queue claim hands it to an engine. */
export const QUEUED_EXECUTOR = "cairn:queue";
