/**
 * Every error Cairn throws on purpose. Each has an explicit `name`, a string `code`, its data in
 * fields, and a static `is()` that recognises it across duplicate installs of the package (it
 * checks a global symbol and the code, never `instanceof`). `NonRetryableError` is the one a user
 * throws, to stop a step's retries.
 */
import { CairnError, isCairnErrorCode } from "./cairn-error.js";
import { DeserializationError, SerializationError, ValidationError } from "./value-errors.js";
import { NonRetryableError } from "./non-retryable-error.js";

export { NonRetryableError };
export {
  CairnError,
  isCairnErrorCode,
  type AnyCairnErrorCode,
  type CairnErrorCode,
} from "./cairn-error.js";
export { DeserializationError, SerializationError, ValidationError } from "./value-errors.js";

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

/**
 * A workflow definition is not registered with this engine — or, from a client's start by name,
 * by any live engine (see docs/errors.md).
 */
export class WorkflowNotRegisteredError extends CairnError {
  override name = "WorkflowNotRegisteredError";
  readonly workflowName: string;
  static override is = isCairnErrorCode<WorkflowNotRegisteredError>("WORKFLOW_NOT_REGISTERED");

  constructor(workflowName: string, detail = "", registeredWith = "with this engine") {
    super(
      "WORKFLOW_NOT_REGISTERED",
      `Workflow "${workflowName}" is not registered ${registeredWith}` +
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

/** One invalid item of a `startMany` call: its index and why (the error a single start throws). */
export interface InvalidStartItem {
  readonly index: number;
  readonly error: unknown;
}

/**
 * Items of a `startMany` call were invalid (bad input, bad ID, bad options): nothing was
 * written. `index` is the first bad item's; `items` lists every bad one with its error (a
 * `ValidationError`, `InvalidOptionError`, `SerializationError`...); `cause` is the first error.
 */
export class StartItemsInvalidError extends CairnError {
  override name = "StartItemsInvalidError";
  readonly workflowName: string;
  /** The index of the first invalid item. */
  readonly index: number;
  readonly items: readonly InvalidStartItem[];
  static override is = isCairnErrorCode<StartItemsInvalidError>("START_ITEMS_INVALID");

  constructor(workflowName: string, items: readonly [InvalidStartItem, ...InvalidStartItem[]]) {
    const [first] = items;
    const reason = first.error instanceof Error ? first.error.message : String(first.error);
    const more = items.length > 1 ? ` (and ${items.length - 1} more invalid items)` : "";
    super(
      "START_ITEMS_INVALID",
      `startMany of "${workflowName}": item ${first.index} is invalid: ${reason}${more}; nothing was started`,
      { cause: first.error },
    );
    this.workflowName = workflowName;
    this.index = first.index;
    this.items = items;
  }
}

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
  StartItemsInvalidError,
  NonRetryableError,
};
