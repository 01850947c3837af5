/**
 * `workflow()` for Effect programs: a name, optional Effect `Schema`s for the input, the success
 * and the typed failure, and a body `(input) => Effect<A, E, R>`, usually an `Effect.gen`
 * program that calls steps. This module only describes the workflow; `CairnEngine.layer` turns
 * each description into a core workflow bound to the services of the layers it was built with,
 * so the same program runs — and, after a crash, replays — with the same `R`.
 */
import {
  InvalidOptionError,
  workflow as coreWorkflow,
  type Workflow as CoreWorkflow,
} from "@cairn/core";
import { type Context, Effect, Exit } from "effect";
import { decodeValue, encodeFailure, encodeValue, type ValueSchema } from "./codec.js";
import { CurrentWorkflow } from "./current-workflow.js";

/** Options of {@link workflow}. Only `name` is required. */
export interface WorkflowOptions<Name extends string, I, A, E> {
  /** The name stored with every run; recovery finds the code by it. Keep it stable. */
  readonly name: Name;
  /** Validates (encodes) the input before anything is written; decodes it for the body. */
  readonly input?: ValueSchema<I>;
  /** Encodes the success before it is recorded. Default: stored as is. */
  readonly success?: ValueSchema<A>;
  /** Encodes typed failures, so callers get instances of their classes back. */
  readonly error?: ValueSchema<E>;
  /** See core's `maxRecoveryAttempts`. Default 10. */
  readonly maxRecoveryAttempts?: number;
}

/** What the engine needs to run an Effect workflow. Internal; do not rely on it. */
export interface EffectWorkflowDefinition<I, A, E, R> {
  readonly input: ValueSchema<I> | undefined;
  readonly success: ValueSchema<A> | undefined;
  readonly error: ValueSchema<E> | undefined;
  readonly maxRecoveryAttempts: number | undefined;
  readonly body: (input: I) => Effect.Effect<A, E, R | CurrentWorkflow>;
}

/**
 * A durable workflow whose body is an Effect. `I` is its input, `A` its success, `E` its typed
 * failure, `R` the services its body and steps need (provided by the engine's layers).
 */
export interface EffectWorkflow<Name extends string, I, A, E, R> {
  readonly name: Name;
  readonly "~effect": EffectWorkflowDefinition<I, A, E, R>;
}

/** Any Effect workflow, whatever its types. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyEffectWorkflow = EffectWorkflow<string, any, any, any, any>;
/** The input of an Effect workflow. */
export type InputOf<W> =
  W extends EffectWorkflow<string, infer I, unknown, unknown, unknown> ? I : never;
/** The success of an Effect workflow. */
export type SuccessOf<W> =
  W extends EffectWorkflow<string, infer _I, infer A, infer _E, infer _R> ? A : never;
/** The typed failure of an Effect workflow. */
export type ErrorOf<W> =
  W extends EffectWorkflow<string, infer _I, infer _A, infer E, infer _R> ? E : never;
/** The services an Effect workflow needs. */
export type RequirementsOf<W> =
  W extends EffectWorkflow<string, infer _I, infer _A, infer _E, infer R> ? R : never;

/**
 * Defines a durable workflow whose body is an Effect.
 *
 * @example
 * const order = workflow(
 *   { name: "order", input: Order, error: Schema.Union([Declined, OutOfStock]) },
 *   (order) => Effect.gen(function* () {
 *     const receipt = yield* charge(order.id, order.total);
 *     yield* sleep("1 hour");
 *     yield* ship(order.id);
 *     return receipt;
 *   }));
 */
export function workflow<const Name extends string, I, A, E, R>(
  options: WorkflowOptions<Name, I, A, E>,
  body: (input: I) => Effect.Effect<A, E, R>,
): EffectWorkflow<Name, I, A, E, Exclude<R, CurrentWorkflow>> {
  if (typeof body !== "function") {
    throw new InvalidOptionError(
      `workflow "${options.name}"`,
      "expected a function returning an Effect",
    );
  }
  return {
    name: options.name,
    "~effect": {
      input: options.input,
      success: options.success,
      error: options.error,
      maxRecoveryAttempts: options.maxRecoveryAttempts,
      body: body as EffectWorkflowDefinition<I, A, E, Exclude<R, CurrentWorkflow>>["body"],
    },
  };
}

/** The core workflow that runs `definition`'s body with `services`. */
export function toCoreWorkflow<R>(
  effectWorkflow: EffectWorkflow<string, unknown, unknown, unknown, R>,
  services: Context.Context<R>,
): CoreWorkflow<unknown, unknown> {
  const definition = effectWorkflow["~effect"];
  const subject = `workflow "${effectWorkflow.name}"`;
  return coreWorkflow(
    {
      name: effectWorkflow.name,
      ...(definition.maxRecoveryAttempts === undefined
        ? {}
        : { maxRecoveryAttempts: definition.maxRecoveryAttempts }),
    },
    async (context, encodedInput: unknown) => {
      const input = decodeValue(definition.input, encodedInput);
      const program = definition
        .body(input)
        .pipe(Effect.provideService(CurrentWorkflow, { context }), Effect.provideContext(services));
      const exit = await Effect.runPromiseExit(program);
      if (Exit.isSuccess(exit)) return encodeValue(definition.success, exit.value);
      throw encodeFailure(subject, definition.error, exit.cause);
    },
  );
}
