/**
 * Runs a step body under its retry policy: attempt, wait, attempt again. Each attempt gets an
 * `AbortSignal` that fires on its timeout or when the engine stops the run for good. The result
 * is the value or the final error; only a hard stop escapes as an exception, so it is never
 * recorded as the step's outcome. Before each retry the failed attempt is made durable
 * (`recordRetry`), and a resumed step continues after its recorded attempts.
 */
import type { Clock } from "../clock.js";
import { StepTimeoutError } from "../errors.js";
import type { Logger } from "../logger.js";
import type { AttemptEnd, AttemptInfo } from "../observer.js";
import type { StepContext, StepDefinition } from "../step.js";
import type { Observers } from "./observers.js";
import { retryDelayMs, shouldRetry } from "./retry-policy.js";
import type { AttemptStop } from "./run-signals.js";

/** The outcome of all attempts of one step call. */
export type AttemptsResult =
  | { readonly ok: true; readonly value: unknown; readonly attempts: number }
  | { readonly ok: false; readonly error: unknown; readonly attempts: number };

/** What one attempt needs from the run around it. */
export interface AttemptScope {
  readonly workflowId: string;
  readonly log: Logger;
  /** The run being abandoned or ending stops the attempts; its reason is thrown. */
  readonly stop: AttemptStop;
  /** Durable time for retry backoff and attempt timeouts. */
  readonly clock: Clock;
}

/** What a step's attempts need from the run around them. */
export interface AttemptEnvironment extends AttemptScope {
  /** Wrap each attempt and hear about retries. */
  readonly observers: Observers;
  /** Attempt number `attempt` as observers see it. */
  attemptOf(attempt: number): AttemptInfo;
  /** Attempts that failed before this run (recorded durably): continue after them. */
  readonly resume?: { readonly attempts: number; readonly nextAttemptAt: number } | undefined;
  /** Makes a failed attempt durable before waiting for the next one, due at `nextAttemptAt`. */
  recordRetry(attempt: number, nextAttemptAt: number): Promise<void>;
}

/** Runs `definition` with `args` until it succeeds, fails for good, or the run is stopped. */
export async function runAttempts(
  definition: StepDefinition,
  args: readonly unknown[],
  env: AttemptEnvironment,
): Promise<AttemptsResult> {
  const first = (env.resume?.attempts ?? 0) + 1;
  if (env.resume) await waitUntil(env, env.resume.nextAttemptAt);
  for (let attempt = first; ; attempt++) {
    env.stop.throwIfAttemptStopped();
    const info = env.attemptOf(attempt);
    const result = await observedAttempt(info, env.observers, () =>
      runAttempt(definition, args, env, attempt),
    );
    if (result.ok) return { ok: true, value: result.value, attempts: attempt };
    const { error } = result;
    env.stop.throwIfAttemptStopped();
    if (!shouldRetry(definition.retry, attempt, error)) {
      return { ok: false, error, attempts: attempt };
    }
    const delayMs = retryDelayMs(definition.retry, attempt);
    const nextAttemptAt = env.clock.now() + delayMs;
    await env.recordRetry(attempt, nextAttemptAt);
    env.observers.emit({ type: "step.retried", attempt: info, error, delayMs });
    await waitUntil(env, nextAttemptAt);
  }
}

/** Waits (on the run's clock) until `at`; at once when it has passed. */
async function waitUntil(env: AttemptEnvironment, at: number): Promise<void> {
  const remainingMs = at - env.clock.now();
  if (remainingMs > 0) await env.clock.sleep(remainingMs, env.stop.attemptSignal);
  env.stop.throwIfAttemptStopped();
}

/**
 * A step's only attempt, when it has no retries, no timeout and no observer to wrap the attempt
 * (most steps): what {@link runAttempts} gives such a step, without the retry loop, the observers'
 * wrapper or an environment object of closures (each of those was an allocation or a promise
 * turn per step).
 */
export async function runOnlyAttempt(
  definition: StepDefinition,
  args: readonly unknown[],
  scope: AttemptScope,
): Promise<AttemptsResult> {
  const stepContext = definition.withContext ? stepContextOf(definition, scope, 1) : undefined;
  try {
    const value = await scope.stop.raceBody(() => definition.body(stepContext, args));
    return { ok: true, value, attempts: 1 };
  } catch (error) {
    scope.stop.throwIfAttemptStopped();
    return { ok: false, error, attempts: 1 };
  }
}

/** Runs one attempt inside the observers' `aroundAttempt`; settles with its value or error. */
export async function observedAttempt(
  info: AttemptInfo,
  observers: Observers,
  attempt: () => Promise<unknown>,
): Promise<{ ok: true; value: unknown } | { ok: false; error: unknown }> {
  if (observers.none) {
    try {
      return { ok: true, value: await attempt() };
    } catch (error) {
      return { ok: false, error };
    }
  }
  let value: unknown;
  const end: AttemptEnd = await observers.attempt(info, async () => {
    try {
      value = await attempt();
      return { ok: true };
    } catch (error) {
      return { ok: false, error };
    }
  });
  return end.ok ? { ok: true, value } : end;
}

/**
 * One attempt, raced against the run being abandoned or ended (and its timeout, if any): a body
 * that ignores its signal keeps running, but its late result is discarded.
 *
 * An attempt without a timeout makes no controller: it races the run's stop promise, and the
 * step's `signal` is the run's, built only if the body reads it. Two controllers, a listener and
 * the `DOMException` a reasonless `abort()` builds, per step, were a fifth of the engine's own
 * CPU with many short workflows in flight (docs/benchmarks.md, "The step write"); the run's
 * controller and end error were most of what was left ("Session 11: the engine's own CPU").
 */
async function runAttempt(
  definition: StepDefinition,
  args: readonly unknown[],
  env: AttemptScope,
  attempt: number,
): Promise<unknown> {
  const limit = definition.timeoutMs === undefined ? undefined : attemptLimit(definition, env);
  try {
    const stepContext = definition.withContext
      ? stepContextOf(definition, env, attempt, limit?.signal)
      : undefined;
    const body = Promise.resolve().then(() => definition.body(stepContext, args));
    // `raceAttempt` handles the body's rejection (also when it refuses to race), so only a
    // late rejection after a timeout needs a handler of its own.
    if (!limit) return await env.stop.raceAttempt(body);
    body.catch(() => undefined);
    return await env.stop.raceAttempt(Promise.race([body, whenAborted(limit.signal)]));
  } finally {
    limit?.release();
  }
}

/**
 * What a `step.withContext` body gets first. Only such a body reads one: an object literal with a
 * getter is built by a runtime call, not from a boilerplate, and was the largest cost of a plain
 * step's attempt. `signal` is the attempt's own (a timeout) or else the run's, built when read.
 */
function stepContextOf(
  definition: StepDefinition,
  env: AttemptScope,
  attempt: number,
  limit?: AbortSignal,
): StepContext {
  return {
    attempt,
    get signal(): AbortSignal {
      return limit ?? env.stop.attemptSignal;
    },
    workflowId: env.workflowId,
    stepName: definition.name,
    log: env.log,
  };
}

/** The reason a finished attempt's timer is cancelled with (never seen by a step body). */
const ATTEMPT_DONE = Symbol("attempt done");

/** A signal that aborts on the run's stop signal or after the step's timeout. */
function attemptLimit(definition: StepDefinition, env: AttemptScope) {
  const timeoutMs = definition.timeoutMs ?? 0;
  const controller = new AbortController();
  const stopSignal = env.stop.attemptSignal;
  const onStop = () => controller.abort(stopSignal.reason);
  if (stopSignal.aborted) onStop();
  else stopSignal.addEventListener("abort", onStop, { once: true });
  const timer = new AbortController();
  env.clock.sleep(timeoutMs, timer.signal).then(
    () => controller.abort(new StepTimeoutError(definition.name, timeoutMs)),
    () => undefined,
  );
  return {
    signal: controller.signal,
    release: () => {
      timer.abort(ATTEMPT_DONE);
      stopSignal.removeEventListener("abort", onStop);
    },
  };
}

/** Rejects with the signal's reason once it aborts (an attempt's own timeout signal). */
function whenAborted(signal: AbortSignal): Promise<never> {
  const aborted = new Promise<never>((_, reject) => {
    if (signal.aborted) reject(signal.reason as Error);
    else signal.addEventListener("abort", () => reject(signal.reason as Error), { once: true });
  });
  aborted.catch(() => undefined); // nobody may be racing it when it rejects
  return aborted;
}
