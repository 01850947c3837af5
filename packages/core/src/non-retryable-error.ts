/**
 * The one error a user throws on purpose for Cairn to read: it stops a step's retries. Unlike
 * Cairn's own errors (`errors.ts`) it is not a `CairnError`; like them, `is()` recognises it
 * across duplicate installs through a global symbol on its prototype.
 */

const nonRetryableMarker = Symbol.for("@cairn/core/NonRetryableError");

/**
 * Throw this from a step to fail it at once, skipping its remaining retries. The error is
 * checkpointed and thrown into the workflow like any final step error.
 *
 * @example
 * if (card.declined) throw new NonRetryableError("card declined", { cause: response });
 */
export class NonRetryableError extends Error {
  override name = "NonRetryableError";

  static is(value: unknown): value is NonRetryableError {
    return typeof value === "object" && value !== null && nonRetryableMarker in value;
  }
}

// On the prototype, so errors revived with Object.create(prototype) carry it too.
Object.defineProperty(NonRetryableError.prototype, nonRetryableMarker, { value: true });
