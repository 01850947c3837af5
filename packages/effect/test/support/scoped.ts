/**
 * Builds a layer in a scope the test controls, so a test can hold an engine open, abandon it
 * (an in-process "crash": its scope is never closed) or close it, and run Effects against it.
 */
import type { Context } from "effect";
import { Effect, Exit, Layer, Scope } from "effect";

export interface Built<S> {
  readonly context: Context.Context<S>;
  run<A, E>(effect: Effect.Effect<A, E, S>): Promise<A>;
  runExit<A, E>(effect: Effect.Effect<A, E, S>): Promise<Exit.Exit<A, E>>;
  close(): Promise<void>;
}

export async function build<S>(layer: Layer.Layer<S>): Promise<Built<S>> {
  const scope = Scope.makeUnsafe();
  const context = await Effect.runPromise(Layer.buildWithScope(layer, scope));
  return {
    context,
    run: (effect) => Effect.runPromise(Effect.provideContext(effect, context)),
    runExit: (effect) => Effect.runPromiseExit(Effect.provideContext(effect, context)),
    close: () => Effect.runPromise(Scope.close(scope, Exit.void)),
  };
}

/** A logger that says nothing: abandoned engines keep polling a store the test closed. */
export const silent = { debug() {}, info() {}, warn() {}, error() {} };

/** A promise and the function that resolves it. */
export function gate(): { readonly wait: Promise<void>; readonly open: () => void } {
  let open = () => {};
  const wait = new Promise<void>((resolve) => (open = resolve));
  return { wait, open };
}
