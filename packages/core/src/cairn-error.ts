/**
 * The base of every error Cairn throws on purpose, and the codes they carry. `is()` recognises an
 * error across duplicate installs of the package by a global symbol and its code, never by
 * `instanceof`.
 */

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
  | "INVALID_OPTION"
  | "START_ITEMS_INVALID";

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

// The marker lives on the prototype, so errors revived with Object.create(prototype) carry them too.
Object.defineProperty(CairnError.prototype, marker, { value: true });
