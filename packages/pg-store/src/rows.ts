/**
 * The one place where database rows become core records: snake_case to camelCase, `null` to
 * `undefined`, and int8 values (strings from postgres.js, numbers or bigints from PGlite) to
 * numbers. Queries select exactly the columns listed here.
 */
import type {
  ExecutorRecord,
  ListedWorkflow,
  StepRecord,
  TraceCarrier,
  WorkflowAttributes,
  WorkflowRecord,
  WorkflowStatus,
} from "@cairn/core";

type Int8 = string | number | bigint;

/** Columns of `workflows` that make a `WorkflowRecord`, for `select` and `returning` lists. */
export const WORKFLOW_COLUMNS =
  "workflow_id, name, status, input, output, error, executor_id, parent_workflow_id, " +
  "recovery_attempts, deadline_at, forked_from, queue_name, app_version, owner_epoch, created_at, " +
  "updated_at, trace_context, started_at, completed_at, queue_priority, queue_dedup_id, " +
  "queue_partition_key, attributes::text as attributes";

/** `WORKFLOW_COLUMNS` qualified by a table alias, for statements that join. */
export const workflowColumnsOf = (alias: string): string =>
  WORKFLOW_COLUMNS.split(", ")
    .map((column) => `${alias}.${column}`)
    .join(", ");

/** Columns of `steps` that make a `StepRecord`. */
export const STEP_COLUMNS =
  "workflow_id, position, name, output, error, child_workflow_id, attempts, started_at, completed_at";

/** A checkpoint's values in `STEP_COLUMNS` order, as statement parameters (null for absent). */
export function stepValues(step: StepRecord): unknown[] {
  return [
    step.workflowId,
    step.position,
    step.name,
    step.output ?? null,
    step.error ?? null,
    step.childWorkflowId ?? null,
    step.attempts,
    step.startedAt,
    step.completedAt,
  ];
}

/** A `workflows` row as the drivers return it. */
export interface WorkflowRow {
  workflow_id: string;
  name: string;
  status: string;
  input: string;
  output: string | null;
  error: string | null;
  executor_id: string;
  parent_workflow_id: string | null;
  recovery_attempts: number;
  deadline_at: Int8 | null;
  forked_from: string | null;
  queue_name: string | null;
  app_version: string | null;
  owner_epoch: number;
  created_at: Int8;
  updated_at: Int8;
  trace_context: string | null;
  started_at: Int8 | null;
  completed_at: Int8 | null;
  queue_priority: number | null;
  queue_dedup_id: string | null;
  queue_partition_key: string | null;
  /** jsonb selected as text: the drivers would otherwise each decide how to parse it. */
  attributes: string | null;
}

/** A `steps` row as the drivers return it. */
export interface StepRow {
  workflow_id: string;
  position: number;
  name: string;
  output: string | null;
  error: string | null;
  child_workflow_id: string | null;
  attempts: number;
  started_at: Int8;
  completed_at: Int8;
}

/** An `executors` row plus `expired`, computed on the database clock. */
export interface ExecutorRow {
  executor_id: string;
  app_version: string | null;
  status: string;
  heartbeat_at: Int8;
  lease_ms: Int8;
  expired: boolean;
  /** `array_to_json(workflow_names)`: null when the executor advertised none. */
  workflow_names: string[] | null;
}

const optional = (value: string | null): string | undefined => value ?? undefined;
const optionalNumber = (value: Int8 | null): number | undefined =>
  value === null ? undefined : Number(value);

/** A `workflows` row of a listing, which may leave the input out. */
export type ListedWorkflowRow = Omit<WorkflowRow, "input"> & { input: string | null };

export function toWorkflowRecord(row: WorkflowRow): WorkflowRecord {
  return { ...toListedWorkflow(row), input: row.input };
}

export function toListedWorkflow(row: ListedWorkflowRow): ListedWorkflow {
  return {
    workflowId: row.workflow_id,
    name: row.name,
    status: row.status as WorkflowStatus, // the table's check constraint admits nothing else
    input: optional(row.input),
    output: optional(row.output),
    error: optional(row.error),
    executorId: row.executor_id,
    parentWorkflowId: optional(row.parent_workflow_id),
    recoveryAttempts: row.recovery_attempts,
    deadlineAt: optionalNumber(row.deadline_at),
    forkedFrom: optional(row.forked_from),
    queueName: optional(row.queue_name),
    appVersion: optional(row.app_version),
    ownerEpoch: row.owner_epoch,
    createdAt: Number(row.created_at),
    updatedAt: Number(row.updated_at),
    traceContext: toTraceCarrier(row.trace_context),
    startedAt: optionalNumber(row.started_at),
    completedAt: optionalNumber(row.completed_at),
    priority: row.queue_priority ?? undefined,
    dedupId: optional(row.queue_dedup_id),
    partitionKey: optional(row.queue_partition_key),
    attributes:
      row.attributes === null ? undefined : (JSON.parse(row.attributes) as WorkflowAttributes),
  };
}

/** The stored JSON text of attributes, or `null` for none. */
export function attributesColumn(attributes: WorkflowAttributes | undefined): string | null {
  return attributes === undefined ? null : JSON.stringify(attributes);
}

/** The stored JSON text of a trace carrier, or `null` for none. */
export function traceContextColumn(carrier: TraceCarrier | undefined): string | null {
  return carrier === undefined ? null : JSON.stringify(carrier);
}

/** The carrier back from its column; a value that is not an object of strings reads as none. */
function toTraceCarrier(text: string | null): TraceCarrier | undefined {
  if (text === null) return undefined;
  try {
    const parsed: unknown = JSON.parse(text);
    if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) return undefined;
    const entries = Object.entries(parsed).filter(([, v]) => typeof v === "string");
    return Object.fromEntries(entries);
  } catch {
    return undefined;
  }
}

export function toStepRecord(row: StepRow): StepRecord {
  return {
    workflowId: row.workflow_id,
    position: row.position,
    name: row.name,
    output: optional(row.output),
    error: optional(row.error),
    childWorkflowId: optional(row.child_workflow_id),
    attempts: row.attempts,
    startedAt: Number(row.started_at),
    completedAt: Number(row.completed_at),
  };
}

export function toExecutorRecord(row: ExecutorRow): ExecutorRecord {
  return {
    executorId: row.executor_id,
    appVersion: optional(row.app_version),
    status: row.status === "stopped" ? "stopped" : "alive", // the check constraint admits no other
    heartbeatAt: Number(row.heartbeat_at),
    leaseMs: Number(row.lease_ms),
    expired: row.expired,
    workflowNames: row.workflow_names ?? undefined,
  };
}
