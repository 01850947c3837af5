/**
 * Every error Cairn throws on purpose. Each has an explicit `name`, a string `code`, its data in
 * fields, and a static `is()` that recognises it across duplicate installs of the package (it
 * checks a global symbol and the code, never `instanceof`). `NonRetryableError` is the one a user
 * throws, to stop a step's retries.
 */
import { NonRetryableError } from "./non-retryable-error.js";
import type { SchemaIssue } from "./standard-schema.js";

export { NonRetryableError };

/** The string codes of Cairn's errors. */
export type CairnErrorCode =
  | "VALIDATION_FAILED"
  | "SERIALIZATION_FAILED"
  | "DESERIALIZATION_FAILED"
  | "NON_DETERMINISM"
  | "WORKFLOW_CONFLICT"
  | "WORKFLOW_NOT_FOUND"
  | "WORKFLOW_NOT_REGISTERED"
  | "WORKFLOW_DEAD_LETTERED"
  | "WORKFLOW_CANCELLED"
  | "WORKFLOW_INTERRUPTED"
  | "WORKFLOW_OWNERSHIP_LOST"
  | "CONTEXT_ENDED"
  | "STORE_UNAVAILABLE"
  | "NOT_IN_WORKFLOW"
  | "ENGINE_NOT_LAUNCHED"
  | "ENGINE_CLOSED"
  | "STEP_TIMEOUT"
  | "RESULT_TIMEOUT"
  | "INVALID_OPTION";

const marker = Symbol.for("@cairn/core/CairnError");

/**
 * A code of core's errors, or of a package built on core (`@cairn/queue`, `@cairn/pg-store`),
 * which extend `CairnError` with their own codes.
 */
export type AnyCairnErrorCode = CairnErrorCode | (string & {});

/** Base class of the errors Cairn throws. Check with `CairnError.is(e)` or `XError.is(e)`. */
export class CairnError extends Error {
  override name = "CairnError";
  readonly code: AnyCairnErrorCode;

  constructor(code: AnyCairnErrorCode, message: string, options?: ErrorOptions) {
    super(message, options);
    this.code = code;
  }

  /** True for any Cairn error, or for one with the given code. */
  static is(value: unknown, code?: AnyCairnErrorCode): value is CairnError {
    return (
      typeof value === "object" &&
      value !== null &&
      marker in value &&
      (code === undefined || (value as { code?: unknown }).code === code)
    );
  }
}

/** Builds the `is()` of a subclass: recognises its code across installs. */
export function isCairnErrorCode<T extends CairnError>(code: AnyCairnErrorCode) {
  return (value: unknown): value is T => CairnError.is(value, code);
}

/** Where an issue is, as `items.0.sku`, or `(root)`. */
function issuePath(issue: SchemaIssue): string {
  const path = issue.path ?? [];
  if (path.length === 0) return "(root)";
  return path
    .map((segment) => String(typeof segment === "object" ? segment.key : segment))
    .join(".");
}

/** A workflow input, output or option did not match its schema. Nothing was written. */
export class ValidationError extends CairnError {
  override name = "ValidationError";
  /** The schema's issues, as its library reported them (zod's carry `code` and more). */
  readonly issues: readonly SchemaIssue[];
  /** What was being validated, e.g. `input of workflow "order"`. */
  readonly subject: string;
  static override is = isCairnErrorCode<ValidationError>("VALIDATION_FAILED");

  constructor(subject: string, issues: readonly SchemaIssue[]) {
    const detail = issues.map((issue) => `${issuePath(issue)}: ${issue.message}`).join("; ");
    super("VALIDATION_FAILED", `Invalid ${subject}: ${detail}`);
    this.subject = subject;
    this.issues = issues;
  }
}

/** A value could not be serialized (a function, a class instance, a symbol...). */
export class SerializationError extends CairnError {
  override name = "SerializationError";
  /** What was being serialized, e.g. `output of step "charge"`. */
  readonly subject: string;
  /** Where in the value the problem sits, e.g. `.customer.callback`. */
  readonly path: string;
  static override is = isCairnErrorCode<SerializationError>("SERIALIZATION_FAILED");

  constructor(subject: string, path: string, reason: string) {
    const where = path === "" ? "" : ` at ${path}`;
    super("SERIALIZATION_FAILED", `Cannot serialize ${subject}${where}: ${reason}`);
    this.subject = subject;
    this.path = path;
  }
}

/**
 * A stored value could not be decoded: it names a custom type this process has not registered
 * (`typeName`), it was written through a codec this process was not given, or the codec refused it.
 */
export class DeserializationError extends CairnError {
  override name = "DeserializationError";
  /** `unknown-type`, `no-codec` (written through a codec, none given) or `codec-failed`. */
  readonly reason: "unknown-type" | "no-codec" | "codec-failed";
  /** The custom type the value names, when `reason` is `unknown-type`. */
  readonly typeName: string | undefined;
  static override is = isCairnErrorCode<DeserializationError>("DESERIALIZATION_FAILED");

  constructor(
    reason: "unknown-type" | "no-codec" | "codec-failed",
    typeName?: string,
    options?: ErrorOptions,
  ) {
    const messages = {
      "unknown-type": `Cannot decode a stored value: it holds a "${typeName}", which is not registered; register it in serialization.types of this engine or client`,
      "no-codec":
        "Cannot decode a stored value: it was written through a codec; give the same codec as serialization.codec",
      "codec-failed": "Cannot decode a stored value: the codec refused it",
    };
    super("DESERIALIZATION_FAILED", messages[reason], options);
    this.reason = reason;
    this.typeName = typeName;
  }
}

/** Replay reached a position where the code calls a different operation than history recorded. */
export class NonDeterminismError extends CairnError {
  override name = "NonDeterminismError";
  readonly workflowId: string;
  readonly position: number;
  readonly recordedName: string;
  readonly calledName: string;
  static override is = isCairnErrorCode<NonDeterminismError>("NON_DETERMINISM");

  constructor(fields: {
    workflowId: string;
    position: number;
    recordedName: string;
    calledName: string;
  }) {
    super(
      "NON_DETERMINISM",
      `Workflow ${fields.workflowId} replayed "${fields.calledName}" at position ${fields.position}, ` +
        `but its history recorded "${fields.recordedName}" there. Workflow code changed in a way ` +
        `that does not match in-flight runs (see docs/determinism.md).`,
    );
    this.workflowId = fields.workflowId;
    this.position = fields.position;
    this.recordedName = fields.recordedName;
    this.calledName = fields.calledName;
  }
}

/** A workflow ID is already used by a workflow of another name. */
export class WorkflowConflictError extends CairnError {
  override name = "WorkflowConflictError";
  readonly workflowId: string;
  readonly existingName: string;
  readonly requestedName: string;
  static override is = isCairnErrorCode<WorkflowConflictError>("WORKFLOW_CONFLICT");

  constructor(workflowId: string, existingName: string, requestedName: string) {
    super(
      "WORKFLOW_CONFLICT",
      `Workflow ID "${workflowId}" belongs to workflow "${existingName}"; ` +
        `it cannot be started as "${requestedName}"`,
    );
    this.workflowId = workflowId;
    this.existingName = existingName;
    this.requestedName = requestedName;
  }
}

/** No workflow has this ID. */
export class WorkflowNotFoundError extends CairnError {
  override name = "WorkflowNotFoundError";
  readonly workflowId: string;
  static override is = isCairnErrorCode<WorkflowNotFoundError>("WORKFLOW_NOT_FOUND");

  constructor(workflowId: string) {
    super("WORKFLOW_NOT_FOUND", `No workflow with ID "${workflowId}"`);
    this.workflowId = workflowId;
  }
}

/** A workflow definition is not registered with this engine. */
export class WorkflowNotRegisteredError extends CairnError {
  override name = "WorkflowNotRegisteredError";
  readonly workflowName: string;
  static override is = isCairnErrorCode<WorkflowNotRegisteredError>("WORKFLOW_NOT_REGISTERED");

  constructor(workflowName: string, detail = "") {
    super(
      "WORKFLOW_NOT_REGISTERED",
      `Workflow "${workflowName}" is not registered with this engine` +
        (detail ? `: ${detail}` : "; pass it in createEngine({ workflows })"),
    );
    this.workflowName = workflowName;
  }
}

/** The workflow crashed its process too often and is no longer recovered automatically. */
export class WorkflowDeadLetteredError extends CairnError {
  override name = "WorkflowDeadLetteredError";
  readonly workflowId: string;
  readonly recoveryAttempts: number;
  static override is = isCairnErrorCode<WorkflowDeadLetteredError>("WORKFLOW_DEAD_LETTERED");

  constructor(workflowId: string, recoveryAttempts: number) {
    super(
      "WORKFLOW_DEAD_LETTERED",
      `Workflow ${workflowId} was moved to DEAD_LETTER after ${recoveryAttempts} recovery ` +
        `attempts without progress`,
    );
    this.workflowId = workflowId;
    this.recoveryAttempts = recoveryAttempts;
  }
}

/** The workflow was cancelled. */
export class WorkflowCancelledError extends CairnError {
  override name = "WorkflowCancelledError";
  readonly workflowId: string;
  static override is = isCairnErrorCode<WorkflowCancelledError>("WORKFLOW_CANCELLED");

  constructor(workflowId: string) {
    super("WORKFLOW_CANCELLED", `Workflow ${workflowId} was cancelled`);
    this.workflowId = workflowId;
  }
}

/**
 * The workflow stopped running in this process before it finished: the engine shut down, or the
 * store could not record a checkpoint. Nothing is lost: it stays `PENDING` and resumes from its
 * last checkpoint when an engine with its executor ID launches again.
 */
export class WorkflowInterruptedError extends CairnError {
  override name = "WorkflowInterruptedError";
  readonly workflowId: string;
  static override is = isCairnErrorCode<WorkflowInterruptedError>("WORKFLOW_INTERRUPTED");

  constructor(workflowId: string, reason: string, options?: ErrorOptions) {
    super("WORKFLOW_INTERRUPTED", `Workflow ${workflowId} was interrupted: ${reason}`, options);
    this.workflowId = workflowId;
  }
}

/**
 * Another executor took this workflow over (this one was presumed dead: its lease expired). The
 * late execution stops at its next write, which is fenced off: nothing it writes lands.
 */
export class WorkflowOwnershipLostError extends CairnError {
  override name = "WorkflowOwnershipLostError";
  readonly workflowId: string;
  readonly executorId: string;
  static override is = isCairnErrorCode<WorkflowOwnershipLostError>("WORKFLOW_OWNERSHIP_LOST");

  constructor(workflowId: string, executorId: string) {
    super(
      "WORKFLOW_OWNERSHIP_LOST",
      `Executor ${executorId} no longer owns workflow ${workflowId}: another executor took it over`,
    );
    this.workflowId = workflowId;
    this.executorId = executorId;
  }
}

/**
 * The store cannot be reached (connection refused or lost, server restarting). Cairn retries
 * with backoff; nothing is lost: unrecorded work runs again once the store is back.
 */
export class StoreUnavailableError extends CairnError {
  override name = "StoreUnavailableError";
  static override is = isCairnErrorCode<StoreUnavailableError>("STORE_UNAVAILABLE");

  constructor(message: string, options?: ErrorOptions) {
    super("STORE_UNAVAILABLE", message, options);
  }
}

/** A step or child workflow was called without a live workflow context. */
export class NotInWorkflowError extends CairnError {
  override name = "NotInWorkflowError";
  static override is = isCairnErrorCode<NotInWorkflowError>("NOT_IN_WORKFLOW");

  constructor(what: string, reason = "its first argument is not a workflow context") {
    super("NOT_IN_WORKFLOW", `${what} must be called from inside a workflow: ${reason}`);
  }
}

/**
 * A workflow context was used after its workflow's body had settled: a durable call that was not
 * awaited, or a `ctx` kept after the run. Nothing was written; the workflow's outcome is what
 * the body returned or threw.
 */
export class ContextEndedError extends CairnError {
  override name = "ContextEndedError";
  /** The workflow whose context it is. */
  readonly workflowId: string;
  static override is = isCairnErrorCode<ContextEndedError>("CONTEXT_ENDED");

  constructor(workflowId: string) {
    super(
      "CONTEXT_ENDED",
      `The context of workflow ${workflowId} was used after the workflow's body had settled: ` +
        `await every durable call (step, sleep, send, recv, child ...) before returning. ` +
        `Nothing was recorded.`,
    );
    this.workflowId = workflowId;
  }
}

/** The engine was used before `launch()` finished. */
export class EngineNotLaunchedError extends CairnError {
  override name = "EngineNotLaunchedError";
  static override is = isCairnErrorCode<EngineNotLaunchedError>("ENGINE_NOT_LAUNCHED");

  constructor(operation: string) {
    super("ENGINE_NOT_LAUNCHED", `engine.${operation}() needs "await engine.launch()" first`);
  }
}

/** The engine was used after `shutdown()`. */
export class EngineClosedError extends CairnError {
  override name = "EngineClosedError";
  static override is = isCairnErrorCode<EngineClosedError>("ENGINE_CLOSED");

  constructor(operation: string) {
    super("ENGINE_CLOSED", `engine.${operation}() was called after engine.shutdown()`);
  }
}

/** A step attempt ran longer than its `timeoutMs`; its `AbortSignal` was aborted. */
export class StepTimeoutError extends CairnError {
  override name = "StepTimeoutError";
  readonly stepName: string;
  readonly timeoutMs: number;
  static override is = isCairnErrorCode<StepTimeoutError>("STEP_TIMEOUT");

  constructor(stepName: string, timeoutMs: number) {
    super("STEP_TIMEOUT", `Step "${stepName}" timed out after ${timeoutMs} ms`);
    this.stepName = stepName;
    this.timeoutMs = timeoutMs;
  }
}

/**
 * A wait from outside a workflow (`handle.result({ timeoutMs })`, `waitFirst`, `waitAll`) gave
 * up before the workflows finished. They keep running; wait again or answer "still running".
 */
export class ResultTimeoutError extends CairnError {
  override name = "ResultTimeoutError";
  /** The workflows that had not finished. */
  readonly workflowIds: readonly string[];
  readonly timeoutMs: number;
  static override is = isCairnErrorCode<ResultTimeoutError>("RESULT_TIMEOUT");

  constructor(workflowIds: readonly string[], timeoutMs: number) {
    const which =
      workflowIds.length === 1
        ? `Workflow ${workflowIds[0] ?? ""}`
        : `${workflowIds.length} workflows`;
    super("RESULT_TIMEOUT", `${which} did not finish within ${timeoutMs} ms (still running)`);
    this.workflowIds = workflowIds;
    this.timeoutMs = timeoutMs;
  }
}

/** An option passed to Cairn is out of range or malformed. */
export class InvalidOptionError extends CairnError {
  override name = "InvalidOptionError";
  readonly option: string;
  static override is = isCairnErrorCode<InvalidOptionError>("INVALID_OPTION");

  constructor(option: string, problem: string) {
    super("INVALID_OPTION", `Invalid option ${option}: ${problem}`);
    this.option = option;
  }
}

// The marker lives on the prototype, so errors revived with Object.create(prototype) carry them too.
Object.defineProperty(CairnError.prototype, marker, { value: true });

/** Cairn's error classes by name, so deserialized errors come back as the right class. */
export const cairnErrorClasses: Readonly<Record<string, new (...args: never[]) => Error>> = {
  CairnError,
  ValidationError,
  SerializationError,
  DeserializationError,
  NonDeterminismError,
  WorkflowConflictError,
  WorkflowNotFoundError,
  WorkflowNotRegisteredError,
  WorkflowDeadLetteredError,
  WorkflowCancelledError,
  WorkflowInterruptedError,
  WorkflowOwnershipLostError,
  StoreUnavailableError,
  NotInWorkflowError,
  ContextEndedError,
  EngineNotLaunchedError,
  EngineClosedError,
  StepTimeoutError,
  InvalidOptionError,
  NonRetryableError,
};
