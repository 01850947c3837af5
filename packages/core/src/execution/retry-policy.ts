/**
 * A step's retry policy: how many attempts, how long to wait between them, which errors to retry.
 * Delays grow geometrically from `initialDelayMs` by `backoffFactor`, capped at `maxDelayMs`.
 * A failed attempt that is retried is recorded, so after a crash the step continues at the next
 * attempt number and waits only the rest of its backoff (`step-attempts.ts`).
 */
import { InvalidOptionError, NonRetryableError } from "../errors.js";

/** How a step retries. Every field is optional. */
export interface RetryOptions {
  /** Total attempts, including the first. Default 1 (no retry). */
  readonly maxAttempts?: number;
  /** Wait before the second attempt. Default 1000 ms. */
  readonly initialDelayMs?: number;
  /** Each wait is the previous one times this. Default 2. */
  readonly backoffFactor?: number;
  /** Upper bound for one wait. Default 3,600,000 ms (one hour). */
  readonly maxDelayMs?: number;
  /** Return false to stop retrying on this error. Default: retry every error. */
  readonly retryIf?: (error: unknown) => boolean;
}

/** A validated retry policy with defaults applied. */
export interface RetryPolicy {
  readonly maxAttempts: number;
  readonly initialDelayMs: number;
  readonly backoffFactor: number;
  readonly maxDelayMs: number;
  readonly retryIf: (error: unknown) => boolean;
}

/** Applies defaults and checks ranges; `owner` names the step in errors. */
export function retryPolicy(options: RetryOptions = {}, owner: string): RetryPolicy {
  const policy: RetryPolicy = {
    maxAttempts: options.maxAttempts ?? 1,
    initialDelayMs: options.initialDelayMs ?? 1_000,
    backoffFactor: options.backoffFactor ?? 2,
    maxDelayMs: options.maxDelayMs ?? 3_600_000,
    retryIf: options.retryIf ?? (() => true),
  };
  if (!Number.isInteger(policy.maxAttempts) || policy.maxAttempts < 1) {
    throw new InvalidOptionError(`${owner}.retry.maxAttempts`, "expected an integer >= 1");
  }
  for (const key of ["initialDelayMs", "maxDelayMs"] as const) {
    if (!Number.isFinite(policy[key]) || policy[key] < 0) {
      throw new InvalidOptionError(`${owner}.retry.${key}`, "expected a finite number >= 0");
    }
  }
  if (!Number.isFinite(policy.backoffFactor) || policy.backoffFactor < 1) {
    throw new InvalidOptionError(`${owner}.retry.backoffFactor`, "expected a number >= 1");
  }
  return policy;
}

/** The wait before attempt `attempt + 1`, after `attempt` failed (attempts count from 1). */
export function retryDelayMs(policy: RetryPolicy, attempt: number): number {
  return Math.min(policy.initialDelayMs * policy.backoffFactor ** (attempt - 1), policy.maxDelayMs);
}

/** Whether a failed attempt should be followed by another one. */
export function shouldRetry(policy: RetryPolicy, attempt: number, error: unknown): boolean {
  if (attempt >= policy.maxAttempts || NonRetryableError.is(error)) return false;
  try {
    return policy.retryIf(error);
  } catch {
    return false;
  }
}
