/**
 * Runs a step body under its retry policy: attempt, wait, attempt again. Each attempt gets an
 * `AbortSignal` that fires on its timeout or when the engine stops the run for good. The result
 * is the value or the final error; only a hard stop escapes as an exception, so it is never
 * recorded as the step's outcome.
 */
import { StepTimeoutError } from "../errors.js";
import type { Logger } from "../logger.js";
import type { StepDefinition } from "../step.js";
import { retryDelayMs, shouldRetry } from "./retry-policy.js";

/** The outcome of all attempts of one step call. */
export type AttemptsResult =
  | { readonly ok: true; readonly value: unknown; readonly attempts: number }
  | { readonly ok: false; readonly error: unknown; readonly attempts: number };

/** What an attempt needs from the run around it. */
export interface AttemptEnvironment {
  readonly workflowId: string;
  readonly log: Logger;
  /** Aborted when the engine abandons the run; its reason is thrown. */
  readonly stopSignal: AbortSignal;
}

/** Runs `definition` with `args` until it succeeds, fails for good, or the run is stopped. */
export async function runAttempts(
  definition: StepDefinition,
  args: readonly unknown[],
  env: AttemptEnvironment,
): Promise<AttemptsResult> {
  for (let attempt = 1; ; attempt++) {
    env.stopSignal.throwIfAborted();
    try {
      const value = await runAttempt(definition, args, env, attempt);
      return { ok: true, value, attempts: attempt };
    } catch (error) {
      env.stopSignal.throwIfAborted();
      if (!shouldRetry(definition.retry, attempt, error)) {
        return { ok: false, error, attempts: attempt };
      }
      const delayMs = retryDelayMs(definition.retry, attempt);
      env.log.warn(
        `step "${definition.name}" attempt ${attempt} failed; retrying in ${delayMs} ms`,
        {
          error,
        },
      );
      await delay(delayMs, env.stopSignal);
    }
  }
}

async function runAttempt(
  definition: StepDefinition,
  args: readonly unknown[],
  env: AttemptEnvironment,
  attempt: number,
): Promise<unknown> {
  const controller = new AbortController();
  const onStop = () => controller.abort(env.stopSignal.reason);
  env.stopSignal.addEventListener("abort", onStop, { once: true });
  const timer =
    definition.timeoutMs === undefined
      ? undefined
      : setTimeout(
          () => controller.abort(new StepTimeoutError(definition.name, definition.timeoutMs ?? 0)),
          definition.timeoutMs,
        );
  const aborted = new Promise<never>((_, reject) => {
    controller.signal.addEventListener("abort", () => reject(controller.signal.reason as Error), {
      once: true,
    });
  });
  try {
    const stepContext = {
      attempt,
      signal: controller.signal,
      workflowId: env.workflowId,
      stepName: definition.name,
      log: env.log,
    };
    const body = Promise.resolve().then(() => definition.body(stepContext, args));
    body.catch(() => undefined); // a late rejection after a timeout is not an unhandled one
    // A body that ignores its signal keeps running, but its late result is discarded.
    return await Promise.race([body, aborted]);
  } finally {
    clearTimeout(timer);
    env.stopSignal.removeEventListener("abort", onStop);
    aborted.catch(() => undefined);
  }
}

/** Waits `ms`, rejecting with the signal's reason if it aborts first. */
export function delay(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason as Error);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal.reason as Error);
    };
    // setTimeout caps at 2^31-1 ms; longer waits are chained.
    const chunk = Math.min(ms, 2_147_483_647);
    const timer = setTimeout(() => {
      signal.removeEventListener("abort", onAbort);
      if (chunk < ms) delay(ms - chunk, signal).then(resolve, reject);
      else resolve();
    }, chunk);
    signal.addEventListener("abort", onAbort, { once: true });
  });
}
