/**
 * The errors `@cairn/queue` throws on purpose: `CairnError`s with queue codes, so core's
 * `CairnError.is()` and each class's static `is()` recognise them across duplicate installs.
 * Bad options are core's `InvalidOptionError`; a taken workflow ID with another name is core's
 * `WorkflowConflictError`.
 */
import { CairnError, isCairnErrorCode } from "@cairn/core";

/** The string codes of the queue package's errors. */
export type QueueErrorCode =
  | "DUPLICATE_DEDUP_ID"
  | "ENQUEUE_ITEMS_INVALID"
  | "QUEUES_NOT_CONFIGURED"
  | "CRON_EXPRESSION_INVALID"
  | "WORKFLOW_NOT_WAITING"
  | "SCHEDULE_EXISTS"
  | "SCHEDULE_NOT_FOUND";

/** Base class of the errors `@cairn/queue` throws: a `CairnError` with a queue code. */
export class QueueError extends CairnError {
  override name = "QueueError";
  declare readonly code: QueueErrorCode;

  constructor(code: QueueErrorCode, message: string, options?: ErrorOptions) {
    super(code, message, options);
  }

  /** True for any queue error, or for one with the given code. */
  static override is(value: unknown, code?: QueueErrorCode): value is QueueError {
    const codes: readonly string[] = [
      "DUPLICATE_DEDUP_ID",
      "ENQUEUE_ITEMS_INVALID",
      "QUEUES_NOT_CONFIGURED",
      "CRON_EXPRESSION_INVALID",
      "WORKFLOW_NOT_WAITING",
      "SCHEDULE_EXISTS",
      "SCHEDULE_NOT_FOUND",
    ];
    return CairnError.is(value, code) && codes.includes(value.code);
  }
}

const isCode = <T extends QueueError>(code: QueueErrorCode) => isCairnErrorCode<T>(code);

/**
 * An enqueue with `onDuplicate: "reject"` found a live workflow (enqueued or running) holding
 * the same `dedupId` on the queue. Nothing was written.
 */
export class DuplicateDedupIdError extends QueueError {
  override name = "DuplicateDedupIdError";
  readonly queueName: string;
  readonly dedupId: string;
  /** The workflow that holds the key. */
  readonly existingWorkflowId: string;
  static override is = isCode<DuplicateDedupIdError>("DUPLICATE_DEDUP_ID");

  constructor(queueName: string, dedupId: string, existingWorkflowId: string) {
    super(
      "DUPLICATE_DEDUP_ID",
      `Queue "${queueName}" already holds dedupId "${dedupId}" (workflow ${existingWorkflowId})`,
    );
    this.queueName = queueName;
    this.dedupId = dedupId;
    this.existingWorkflowId = existingWorkflowId;
  }
}

/** One invalid item of an `enqueueMany` call: its index and why (the error a single enqueue throws). */
export interface InvalidEnqueueItem {
  readonly index: number;
  readonly error: unknown;
}

/**
 * Items of an `enqueueMany` call were invalid (bad input, bad options): nothing was written.
 * `index` is the first bad item's; `items` lists every bad one with its error (a
 * `ValidationError`, `InvalidOptionError`, `SerializationError`...); `cause` is the first error.
 */
export class EnqueueItemsInvalidError extends QueueError {
  override name = "EnqueueItemsInvalidError";
  readonly queueName: string;
  /** The index of the first invalid item. */
  readonly index: number;
  readonly items: readonly InvalidEnqueueItem[];
  static override is = isCode<EnqueueItemsInvalidError>("ENQUEUE_ITEMS_INVALID");

  constructor(queueName: string, items: readonly [InvalidEnqueueItem, ...InvalidEnqueueItem[]]) {
    const [first] = items;
    const reason = first.error instanceof Error ? first.error.message : String(first.error);
    const more = items.length > 1 ? ` (and ${items.length - 1} more invalid items)` : "";
    super(
      "ENQUEUE_ITEMS_INVALID",
      `enqueueMany on "${queueName}": item ${first.index} is invalid: ${reason}${more}; nothing was enqueued`,
      { cause: first.error },
    );
    this.queueName = queueName;
    this.index = first.index;
    this.items = items;
  }
}

/** The engine has no queue runtime: pass `createQueues(...)` in `createEngine({ plugins })`. */
export class QueuesNotConfiguredError extends QueueError {
  override name = "QueuesNotConfiguredError";
  /** What was attempted, e.g. `enqueue on "emails"`. */
  readonly operation: string;
  static override is = isCode<QueuesNotConfiguredError>("QUEUES_NOT_CONFIGURED");

  constructor(operation: string) {
    super(
      "QUEUES_NOT_CONFIGURED",
      `Cannot ${operation}: this engine has no queue runtime. ` +
        "Pass createQueues({ store }) in createEngine({ plugins: [...] }) and launch the engine.",
    );
    this.operation = operation;
  }
}

/** A cron expression could not be parsed, or names an unknown time zone. */
export class CronExpressionInvalidError extends QueueError {
  override name = "CronExpressionInvalidError";
  readonly expression: string;
  readonly reason: string;
  static override is = isCode<CronExpressionInvalidError>("CRON_EXPRESSION_INVALID");

  constructor(expression: string, reason: string) {
    super("CRON_EXPRESSION_INVALID", `Invalid cron expression "${expression}": ${reason}`);
    this.expression = expression;
    this.reason = reason;
  }
}

/**
 * The priority or start time of a workflow can change only while it waits in its queue: this
 * one is not enqueued (unknown, already claimed, finished, or never on a queue).
 */
export class WorkflowNotWaitingError extends QueueError {
  override name = "WorkflowNotWaitingError";
  readonly workflowId: string;
  static override is = isCode<WorkflowNotWaitingError>("WORKFLOW_NOT_WAITING");

  constructor(workflowId: string, operation: string) {
    super(
      "WORKFLOW_NOT_WAITING",
      `Cannot ${operation} of workflow ${workflowId}: it is not waiting in a queue ` +
        "(unknown, already started, finished, or never enqueued)",
    );
    this.workflowId = workflowId;
  }
}

/** A schedule of this name is already stored, or a schedule defined in code uses the name. */
export class ScheduleExistsError extends QueueError {
  override name = "ScheduleExistsError";
  readonly scheduleName: string;
  static override is = isCode<ScheduleExistsError>("SCHEDULE_EXISTS");

  constructor(scheduleName: string) {
    super(
      "SCHEDULE_EXISTS",
      `A schedule named "${scheduleName}" exists (stored, or defined in code and already fired)`,
    );
    this.scheduleName = scheduleName;
  }
}

/** No stored schedule has this name (schedules defined in code are not changed at runtime). */
export class ScheduleNotFoundError extends QueueError {
  override name = "ScheduleNotFoundError";
  readonly scheduleName: string;
  static override is = isCode<ScheduleNotFoundError>("SCHEDULE_NOT_FOUND");

  constructor(scheduleName: string) {
    super("SCHEDULE_NOT_FOUND", `No stored schedule is named "${scheduleName}"`);
    this.scheduleName = scheduleName;
  }
}
