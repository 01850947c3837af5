/**
 * `CairnEngine`: core's engine as an Effect service. `CairnEngine.layer({ store, workflows })`
 * builds the core workflows from their Effect descriptions, binds them to the services of the
 * layers it is given (its requirements are the union of the workflows' `R`), launches the engine
 * — recovering unfinished runs with those same services — and shuts it down when the layer's
 * scope closes. Starting, awaiting, cancelling and messaging are Effects: a workflow's typed
 * failure arrives in the caller's error channel, and interrupting a caller of `run` cancels the
 * workflow.
 */
import {
  createEngine,
  WorkflowCancelledError,
  WorkflowNotRegisteredError,
  type Engine,
  type EngineOptions,
  type StartOptions,
  type Workflow as CoreWorkflow,
  type WorkflowHandle,
  type WorkflowStatusInfo,
  type WorkflowStore,
} from "@cairn/core";
import type { Schema } from "effect";
import { Context, Effect, Layer } from "effect";
import { decodeCause, decodeValue, EffectFailure, encodeValue, type ValueSchema } from "./codec.js";
import { WorkflowCancelled } from "./errors.js";
import {
  toCoreWorkflow,
  type AnyEffectWorkflow,
  type EffectWorkflow,
  type EffectWorkflowDefinition,
  type ErrorOf,
  type InputOf,
  type RequirementsOf,
  type SuccessOf,
} from "./workflow.js";

/** A started (or retrieved) Effect workflow. */
export interface EffectWorkflowHandle<A, E> {
  readonly workflowId: string;
  /** Waits for the outcome: its success, its typed failure, or `WorkflowCancelled`. */
  readonly result: Effect.Effect<A, E | WorkflowCancelled>;
  /** The workflow's current state. */
  readonly status: Effect.Effect<WorkflowStatusInfo>;
  /** Cancels it and its children; resolves with the IDs cancelled. */
  readonly cancel: Effect.Effect<readonly string[]>;
}

/** What `CairnEngine` offers. */
export interface CairnEngineService {
  readonly executorId: string;
  /**
   * Starts a workflow once its input is encoded (a `SchemaError` otherwise: nothing is written).
   * Starting an ID that exists returns the existing workflow.
   */
  start<W extends AnyEffectWorkflow>(
    workflow: W,
    input: InputOf<W>,
    options?: StartOptions,
  ): Effect.Effect<EffectWorkflowHandle<SuccessOf<W>, ErrorOf<W>>, Schema.SchemaError>;
  /** `start` and wait for the outcome. Interrupting the caller cancels the workflow. */
  run<W extends AnyEffectWorkflow>(
    workflow: W,
    input: InputOf<W>,
    options?: StartOptions,
  ): Effect.Effect<SuccessOf<W>, ErrorOf<W> | WorkflowCancelled | Schema.SchemaError>;
  /** A handle on an existing run of `workflow`. */
  retrieve<W extends AnyEffectWorkflow>(
    workflow: W,
    workflowId: string,
  ): EffectWorkflowHandle<SuccessOf<W>, ErrorOf<W>>;
  /** Cancels a workflow and its children; resolves with the IDs cancelled. */
  cancel(workflowId: string): Effect.Effect<readonly string[]>;
  /** Runs a cancelled or failed workflow again from its last completed step. */
  resume(workflowId: string): Effect.Effect<void>;
  /** Sends a message to a workflow (encoded with `schema` when given). */
  send<A>(
    workflowId: string,
    topic: string,
    message: A,
    schema?: ValueSchema<A>,
  ): Effect.Effect<void>;
  /** The core engine underneath, for everything else (listing, forks, streams...). */
  readonly engine: Engine;
}

/** Options of {@link CairnEngine.layer}: core's engine options, with Effect workflows. */
export interface CairnEngineOptions<W extends readonly AnyEffectWorkflow[]> extends Omit<
  EngineOptions,
  "workflows" | "store"
> {
  /** The store, or a function creating it when the layer is built (the engine closes it). */
  readonly store: WorkflowStore | (() => WorkflowStore);
  /** Every Effect workflow this engine may start or recover. */
  readonly workflows: W;
}

/** Core's engine, as an Effect service. Build it with {@link CairnEngine.layer}. */
export class CairnEngine extends Context.Service<CairnEngine, CairnEngineService>()(
  "@cairn/effect/CairnEngine",
) {
  /**
   * A layer that launches an engine (recovering unfinished workflows) and shuts it down when its
   * scope closes. It needs the services of every workflow it runs.
   *
   * @example
   * const EngineLive = CairnEngine.layer({ store: createPgliteStore(), workflows: [order] });
   * const program = CairnEngine.use((engine) => engine.run(order, { id: "A1", total: 42 }));
   * await Effect.runPromise(program.pipe(Effect.provide(EngineLive), Effect.provide(PaymentsLive)));
   */
  static layer<const W extends readonly AnyEffectWorkflow[]>(
    options: CairnEngineOptions<W>,
  ): Layer.Layer<CairnEngine, never, RequirementsOf<W[number]>> {
    return Layer.effect(CairnEngine)(makeEngine(options));
  }
}

type Bound<W extends readonly AnyEffectWorkflow[]> = EffectWorkflow<
  string,
  unknown,
  unknown,
  unknown,
  RequirementsOf<W[number]>
>;

function makeEngine<const W extends readonly AnyEffectWorkflow[]>(options: CairnEngineOptions<W>) {
  return Effect.gen(function* () {
    const services = yield* Effect.context<RequirementsOf<W[number]>>();
    const registered = new Map<AnyEffectWorkflow, CoreWorkflow<unknown, unknown>>();
    for (const workflow of options.workflows)
      registered.set(workflow, toCoreWorkflow(workflow as Bound<W>, services));
    const { store, workflows: _, ...engineOptions } = options;
    const engine = createEngine({
      ...engineOptions,
      store: typeof store === "function" ? store() : store,
      workflows: [...registered.values()],
    });
    yield* Effect.acquireRelease(
      Effect.promise(() => engine.launch()),
      () => Effect.promise(() => engine.shutdown()),
    );
    return makeService(engine, (workflow) => {
      const core = registered.get(workflow);
      if (!core) throw new WorkflowNotRegisteredError(workflow.name);
      return core;
    });
  });
}

function makeService(
  engine: Engine,
  coreOf: (workflow: AnyEffectWorkflow) => CoreWorkflow<unknown, unknown>,
): CairnEngineService {
  const service: CairnEngineService = {
    executorId: engine.executorId,
    start: (workflow, input, options) =>
      Effect.try({
        try: () => encodeValue(workflow["~effect"].input, input),
        catch: (error) => error as Schema.SchemaError,
      }).pipe(
        Effect.flatMap((encoded) =>
          Effect.promise(() => engine.start(coreOf(workflow), encoded, options)),
        ),
        Effect.map((handle) => wrapHandle(engine, workflow, handle)),
      ),
    run: (workflow, input, options) =>
      Effect.uninterruptibleMask((restore) =>
        Effect.flatMap(service.start(workflow, input, options), (handle) =>
          restore(handle.result).pipe(Effect.onInterrupt(() => handle.cancel)),
        ),
      ),
    retrieve: (workflow, workflowId) =>
      wrapHandle(engine, workflow, engine.retrieve(coreOf(workflow), workflowId)),
    cancel: (workflowId) => Effect.promise(() => engine.cancel(workflowId)),
    resume: (workflowId) => Effect.asVoid(Effect.promise(() => engine.resume(workflowId))),
    send: (workflowId, topic, message, schema) =>
      Effect.promise(() => engine.send(workflowId, topic, encodeValue(schema, message))),
    engine,
  };
  return service;
}

function wrapHandle<W extends AnyEffectWorkflow>(
  engine: Engine,
  workflow: W,
  handle: WorkflowHandle<unknown>,
): EffectWorkflowHandle<SuccessOf<W>, ErrorOf<W>> {
  const definition = workflow["~effect"] as EffectWorkflowDefinition<
    unknown,
    SuccessOf<W>,
    ErrorOf<W>,
    unknown
  >;
  const { workflowId } = handle;
  return {
    workflowId,
    result: Effect.callback<SuccessOf<W>, ErrorOf<W> | WorkflowCancelled>((resume) => {
      handle.result().then(
        (encoded) => resume(Effect.sync(() => decodeValue(definition.success, encoded))),
        (error: unknown) => {
          if (EffectFailure.is(error))
            resume(Effect.failCause(decodeCause(definition.error, error)));
          else if (WorkflowCancelledError.is(error))
            resume(Effect.fail(new WorkflowCancelled({ workflowId })));
          else resume(Effect.die(error));
        },
      );
    }),
    status: Effect.promise(() => handle.status()),
    cancel: Effect.promise(() => engine.cancel(workflowId)),
  };
}
