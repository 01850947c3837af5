/**
 * The errors `@cairn/queue` throws on purpose. They follow core's pattern: an explicit `name`, a
 * string `code`, data in fields, and a static `is()` that recognises them across duplicate
 * installs (a global symbol plus the code, never `instanceof`). Bad options are core's
 * `InvalidOptionError`; a taken workflow ID with another name is core's `WorkflowConflictError`.
 */

/** The string codes of the queue package's errors. */
export type QueueErrorCode =
  "DUPLICATE_DEDUP_ID" | "QUEUES_NOT_CONFIGURED" | "CRON_EXPRESSION_INVALID";

const marker = Symbol.for("@cairn/queue/QueueError");

/** Base class of the errors `@cairn/queue` throws. Check with `QueueError.is(e)` or `XError.is(e)`. */
export class QueueError extends Error {
  override name = "QueueError";
  readonly code: QueueErrorCode;

  constructor(code: QueueErrorCode, message: string, options?: ErrorOptions) {
    super(message, options);
    this.code = code;
  }

  /** True for any queue error, or for one with the given code. */
  static is(value: unknown, code?: QueueErrorCode): value is QueueError {
    return (
      typeof value === "object" &&
      value !== null &&
      marker in value &&
      (code === undefined || (value as { code?: unknown }).code === code)
    );
  }
}

function isCode<T extends QueueError>(code: QueueErrorCode) {
  return (value: unknown): value is T => QueueError.is(value, code);
}

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

Object.defineProperty(QueueError.prototype, marker, { value: true });
