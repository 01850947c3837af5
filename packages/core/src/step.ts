/**
 * `step()`: wraps a plain async function so its result is checkpointed. Called with the workflow
 * context first (`await charge(ctx, orderId)`), it runs once per workflow: after a crash, replay
 * returns the recorded output (or rethrows the recorded error) instead of running it again.
 * `step.withContext()` gives the body a `StepContext` with its attempt number and an
 * `AbortSignal`, passed explicitly rather than through global state.
 */
import type { AnyWorkflowContext } from "./context.js";
import { InvalidOptionError, NotInWorkflowError } from "./errors.js";
import { operationsOf } from "./execution/operations.js";
import { retryPolicy, type RetryOptions, type RetryPolicy } from "./execution/retry-policy.js";
import type { Logger } from "./logger.js";

/** Options of {@link step}. Only `name` is required. */
export interface StepOptions {
  /** The name recorded with the checkpoint; replay checks it. Keep it stable. */
  readonly name: string;
  /** Retry policy; default: one attempt. */
  readonly retry?: RetryOptions;
  /** Per-attempt limit: past it the attempt's signal aborts and it fails with `StepTimeoutError`. */
  readonly timeoutMs?: number;
}

/** What a `step.withContext` body receives first. */
export interface StepContext {
  /** 1 on the first attempt, 2 on the first retry... */
  readonly attempt: number;
  /** Aborts when the attempt times out or the engine stops the workflow. */
  readonly signal: AbortSignal;
  readonly workflowId: string;
  readonly stepName: string;
  readonly log: Logger;
}

/** Everything the engine needs to run a step. Internal to Cairn; do not rely on it. */
export interface StepDefinition {
  readonly name: string;
  readonly retry: RetryPolicy;
  readonly timeoutMs: number | undefined;
  /**
   * Whether the body takes a {@link StepContext} (`step.withContext`): only then is one built
   * for each attempt; a plain step's body gets `undefined` and ignores it.
   */
  readonly withContext: boolean;
  readonly body: (stepContext: StepContext | undefined, args: readonly unknown[]) => unknown;
}

/** How a step call reaches the run behind its context (implemented in `durable-calls.ts`). */
export interface StepRunner {
  runStep(definition: StepDefinition, args: readonly unknown[]): Promise<unknown>;
}

/** A checkpointed step: call it with the workflow context, then the body's own arguments. */
export interface Step<Args extends unknown[], Out> {
  (ctx: AnyWorkflowContext, ...args: Args): Promise<Out>;
  /** The step's recorded name. */
  readonly name: string;
  readonly "~cairn": StepDefinition;
}

/**
 * Defines a step from a plain function.
 *
 * @example
 * const charge = step("charge", async (orderId: string) => psp.charge(orderId));
 * const ship = step({ name: "ship", retry: { maxAttempts: 5, initialDelayMs: 100 } }, shipOrder);
 */
export function step<Args extends unknown[], Out>(
  nameOrOptions: string | StepOptions,
  body: (...args: Args) => Out | Promise<Out>,
): Step<Args, Awaited<Out>> {
  return makeStep(nameOrOptions, false, (_, args) => body(...(args as Args)));
}

/**
 * Defines a step whose body gets a {@link StepContext} first: its attempt number and a signal.
 *
 * @example
 * const fetchPage = step.withContext("fetch", async ({ signal, attempt }, url: string) =>
 *   (await fetch(url, { signal })).text());
 */
step.withContext = function withContext<Args extends unknown[], Out>(
  nameOrOptions: string | StepOptions,
  body: (stepContext: StepContext, ...args: Args) => Out | Promise<Out>,
): Step<Args, Awaited<Out>> {
  return makeStep(nameOrOptions, true, (stepContext, args) =>
    body(stepContext as StepContext, ...(args as Args)),
  );
};

function makeStep<Args extends unknown[], Out>(
  nameOrOptions: string | StepOptions,
  withContext: boolean,
  body: StepDefinition["body"],
): Step<Args, Out> {
  const options = typeof nameOrOptions === "string" ? { name: nameOrOptions } : nameOrOptions;
  if (typeof options.name !== "string" || options.name.trim() === "") {
    throw new InvalidOptionError("step name", "expected a non-empty string");
  }
  if (
    options.timeoutMs !== undefined &&
    !(options.timeoutMs > 0 && Number.isFinite(options.timeoutMs))
  ) {
    throw new InvalidOptionError(`step "${options.name}".timeoutMs`, "expected a positive number");
  }
  const definition: StepDefinition = {
    name: options.name,
    retry: retryPolicy(options.retry, `step "${options.name}"`),
    timeoutMs: options.timeoutMs,
    withContext,
    body,
  };
  const call = (ctx: AnyWorkflowContext, ...args: Args) => {
    const operations = operationsOf<StepRunner>(ctx);
    if (!operations) return Promise.reject(new NotInWorkflowError(`step "${definition.name}"`));
    return operations.runStep(definition, args) as Promise<Out>;
  };
  Object.defineProperty(call, "name", { value: definition.name });
  Object.defineProperty(call, "~cairn", { value: definition });
  return call as unknown as Step<Args, Out>;
}
