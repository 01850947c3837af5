/**
 * `step()` for Effect programs: wraps `(...args) => Effect<A, E, R>` so that, called inside a
 * Cairn workflow body, it runs once per workflow and its outcome is checkpointed. A success is
 * recorded (encoded with `success` when given); a failure is recorded as its whole `Cause`, so
 * after a crash the replay fails with the same typed error — decoded with `error` into an
 * instance of its class — dies with the same defect, or is interrupted, exactly as the first run
 * was. The step's requirements `R` come from the layers the engine was built with.
 */
import { step as coreStep } from "@cairn/core";
import { Effect, Exit, type Schedule } from "effect";
import { encodeFailure, encodeValue, decodeValue, type ValueSchema } from "./codec.js";
import { awaitCore, CurrentWorkflow } from "./current-workflow.js";

/** Options of {@link step}. Only `name` is required. */
export interface StepOptions<A, E> {
  /** The name recorded with the checkpoint; replay checks it. Keep it stable. */
  readonly name: string;
  /** Encodes the success for the checkpoint. Default: stored as is (devalue). */
  readonly success?: ValueSchema<A>;
  /**
   * Encodes typed failures, so a replay gets instances of their classes back
   * (`Schema.TaggedError`). Default: stored as is; an `Error` comes back as an `Error`
   * with the same `_tag` and fields, so `Effect.catchTag` still matches.
   */
  readonly error?: ValueSchema<E>;
  /**
   * Retries typed failures on this schedule before the outcome is recorded (`Effect.retry`).
   * The waits are in memory: a crash restarts the step's attempts.
   */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  readonly retry?: Schedule.Schedule<any, E>;
}

/** A checkpointed Effect step: call it with the body's arguments inside a workflow body. */
export interface Step<Args extends readonly unknown[], A, E, R> {
  (...args: Args): Effect.Effect<A, E, R | CurrentWorkflow>;
  /** The step's recorded name. */
  readonly stepName: string;
}

/**
 * Defines a step from a function returning an Effect.
 *
 * @example
 * class Declined extends Schema.TaggedError<Declined>()("Declined", { reason: Schema.String }) {}
 * const charge = step(
 *   { name: "charge", error: Declined, retry: Schedule.recurs(3) },
 *   (orderId: string) => Payments.use((p) => p.charge(orderId)),
 * );
 */
export function step<Args extends readonly unknown[], A, E, R>(
  nameOrOptions: string | StepOptions<A, E>,
  body: (...args: Args) => Effect.Effect<A, E, R>,
): Step<Args, A, E, R> {
  const options = typeof nameOrOptions === "string" ? { name: nameOrOptions } : nameOrOptions;
  const subject = `step "${options.name}"`;
  const attempt = (args: Args): Effect.Effect<A, E, R> => {
    const once = body(...args);
    return options.retry === undefined ? once : Effect.retry(once, options.retry);
  };
  const call = (...args: Args): Effect.Effect<A, E, R | CurrentWorkflow> =>
    Effect.gen(function* () {
      const { context } = yield* CurrentWorkflow;
      const services = yield* Effect.context<R>();
      const recorded = coreStep.withContext(options.name, async ({ signal }) => {
        const exit = await Effect.runPromiseExitWith(services)(attempt(args), { signal });
        if (Exit.isSuccess(exit)) return encodeValue(options.success, exit.value);
        throw encodeFailure(subject, options.error, exit.cause);
      });
      const encoded = yield* awaitCore(() => recorded(context), options.error);
      return decodeValue(options.success, encoded);
    });
  return Object.assign(call, { stepName: options.name });
}
