/**
 * The service a Cairn workflow body runs with: the core context of the run it belongs to. Steps
 * and durable operations (`sleep`, `now`, messages...) read it, which is why they carry
 * `CurrentWorkflow` in their requirements until a workflow body is run by the engine, which
 * provides it. `awaitCore` turns a core operation's promise into an Effect with the mapping every
 * operation shares: a cancelled workflow becomes an interruption, any other infrastructure
 * failure a defect.
 */
import { WorkflowCancelledError, type WorkflowContext } from "@cairn/core";
import { Context, Effect } from "effect";
import { decodeCause, EffectFailure, type ValueSchema } from "./codec.js";

/** The Cairn run an Effect workflow body belongs to. Provided by the engine. */
export class CurrentWorkflow extends Context.Service<
  CurrentWorkflow,
  {
    /** Core's context handle of this run. */
    readonly context: WorkflowContext;
  }
>()("@cairn/effect/CurrentWorkflow") {}

/**
 * Waits for a promise from core. A recorded `EffectFailure` is decoded with `errorSchema` and
 * fails (or dies, or interrupts) as it originally did; a cancellation interrupts; anything else
 * (a lost store, a replay mismatch) is a defect.
 */
export function awaitCore<A, E = never>(
  run: () => Promise<A>,
  errorSchema?: ValueSchema<E>,
): Effect.Effect<A, E> {
  return Effect.callback<A, E>((resume) => {
    // A synchronous throw (say, an encoding error) is handled like a rejection.
    Promise.resolve()
      .then(run)
      .then(
        (value) => resume(Effect.succeed(value)),
        (error: unknown) => resume(fromCoreError(error, errorSchema)),
      );
  });
}

function fromCoreError<E>(error: unknown, errorSchema: ValueSchema<E> | undefined) {
  if (EffectFailure.is(error)) return Effect.failCause(decodeCause(errorSchema, error));
  if (WorkflowCancelledError.is(error)) return Effect.interrupt;
  return Effect.die(error);
}

/** Runs `f` with the current run's core context. */
export function withContext<A, E = never>(
  f: (context: WorkflowContext) => Promise<A>,
): Effect.Effect<A, E, CurrentWorkflow> {
  return CurrentWorkflow.use(({ context }) => awaitCore<A, E>(() => f(context)));
}
