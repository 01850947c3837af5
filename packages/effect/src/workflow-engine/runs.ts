/**
 * The runs of a Cairn-backed Effect workflow engine in this process: one entry per execution
 * being driven here, and `wake`, which starts a (re)play of an execution's body. Effect's
 * workflow model replays a body from the start each time it is woken — by its caller, a
 * completed deferred or clock, a child that finished, an interrupt — and activities, deferreds
 * and clocks answer from the store, so a replay after a crash is just another replay. A run that
 * completes is recorded as its workflow's outcome before anyone is told, then forgotten here.
 * Interrupt handling follows the contract of `effect/workflow`'s engines: a safe interrupt takes
 * effect when the run would suspend, an unsafe one at once, and both replay to run compensations.
 */
import { WorkflowOwnershipLostError, type Fence } from "@cairn/core";
import { Cause, Context, Deferred, Effect, Exit, Fiber, Scope } from "effect";
import { Workflow, WorkflowEngine } from "effect/workflow";
import type { Persistence } from "./persistence.js";

type Instance = WorkflowEngine.WorkflowInstance["Service"];
type Result = Workflow.Result<unknown, unknown>;
type Execute = (
  payload: object,
  executionId: string,
) => Effect.Effect<
  unknown,
  unknown,
  WorkflowEngine.WorkflowInstance | WorkflowEngine.WorkflowEngine
>;

/** A registered workflow: its body and the scope its runs live in. */
export interface Registration {
  readonly workflow: Workflow.Any;
  readonly execute: Execute;
  readonly scope: Scope.Scope;
}

/** Why a run is woken: by its caller or a user (`explicit`), or by a completion (`automatic`). */
export type WakeMode = "explicit" | "automatic";

/** One execution driven by this process. */
export interface Run {
  readonly registration: Registration;
  readonly payload: object;
  readonly parentId: string | undefined;
  /** This process's ownership of the execution: every write of the run carries it. */
  fence: Fence;
  instance: Instance;
  interrupted: boolean;
  interruptedUnsafe: boolean;
  /** The strongest wake asked for while a replay was still finishing. */
  pendingWake: WakeMode | undefined;
  fiber: Fiber.Fiber<Result> | undefined;
  /** Completed when a replay completes the execution. */
  readonly done: Deferred.Deferred<void>;
  /** Parent of every replay's scope: compensations of earlier replays stay until the end. */
  readonly scope: Scope.Closeable;
}

/** What {@link Runs} needs from the engine around it. */
export interface RunsHost {
  readonly persistence: Persistence;
  /** The engine's own scope: wakes forked from inside a run live here. */
  readonly scope: Scope.Scope;
  readonly deferreds: WorkflowEngine.DeferredState;
  engine(): WorkflowEngine.WorkflowEngine["Service"];
}

/** The executions this process drives, and how they are woken. */
export class Runs {
  private readonly runs = new Map<string, Run>();

  private readonly host: RunsHost;

  constructor(host: RunsHost) {
    this.host = host;
  }

  private forget(executionId: string, run: Run): void {
    if (this.runs.get(executionId) === run) this.runs.delete(executionId);
  }

  get(executionId: string): Run | undefined {
    return this.runs.get(executionId);
  }

  /** Starts driving an execution (not yet replayed: call `wake`). */
  add(
    executionId: string,
    registration: Registration,
    payload: object,
    parentId: string | undefined,
    fence: Fence,
  ): Run {
    const run: Run = {
      registration,
      payload,
      parentId,
      fence,
      instance: WorkflowEngine.WorkflowInstance.initial(registration.workflow, executionId),
      interrupted: false,
      interruptedUnsafe: false,
      pendingWake: undefined,
      fiber: undefined,
      done: Deferred.makeUnsafe(),
      scope: Scope.makeUnsafe(),
    };
    this.runs.set(executionId, run);
    return run;
  }

  /** Replays an execution unless it is complete (or, for `automatic`, failed and suspended). */
  wake(executionId: string, mode: WakeMode): Effect.Effect<void> {
    return Effect.suspend(() => {
      const run = this.runs.get(executionId);
      if (!run) return Effect.void;
      const exit = run.fiber?.pollUnsafe();
      if (exit && Exit.isSuccess(exit) && unwakeable(exit.value, mode)) return Effect.void;
      if (run.fiber && !exit) return this.wakeAfter(executionId, run, mode);
      return this.replay(executionId, run);
    });
  }

  /** Queues a wake for when the running replay has finished its cleanup. */
  private wakeAfter(executionId: string, run: Run, mode: WakeMode): Effect.Effect<void> {
    const queued = run.pendingWake;
    run.pendingWake = mode === "explicit" ? mode : (queued ?? mode);
    if (queued !== undefined || !run.fiber) return Effect.void;
    return Fiber.await(run.fiber).pipe(
      Effect.flatMap(() => {
        const next = run.pendingWake ?? mode;
        run.pendingWake = undefined;
        return this.wake(executionId, next);
      }),
      Effect.forkIn(this.host.scope),
      Effect.asVoid,
    );
  }

  private replay(executionId: string, run: Run): Effect.Effect<void> {
    const { registration } = run;
    const instance = WorkflowEngine.WorkflowInstance.initial(registration.workflow, executionId, {
      scope: Scope.forkUnsafe(run.scope),
    });
    run.instance = instance;
    return registration.execute(run.payload, executionId).pipe(
      Effect.onExit((exit) => this.applyInterrupt(run, instance, exit)),
      Workflow.intoResult,
      Effect.provideService(WorkflowEngine.WorkflowEngine, this.host.engine()),
      (effect) => this.host.deferreds.trackRun(instance, effect),
      Effect.tap((result) => this.record(executionId, run, result)),
      Effect.onExit((exit) => this.settle(executionId, run, exit)),
      Effect.forkIn(registration.scope),
      Effect.map((fiber) => {
        run.fiber = fiber;
      }),
    );
  }

  /**
   * A requested interrupt turns a replay that would suspend (or, unsafe, any replay) into an
   * interruption, so the workflow's scope closes with it and compensations run.
   */
  private applyInterrupt(run: Run, instance: Instance, exit: Exit.Exit<unknown, unknown>) {
    const suspendOnFailure = Context.get(instance.workflow.annotations, Workflow.SuspendOnFailure);
    const wouldStop =
      run.interruptedUnsafe ||
      instance.suspended ||
      instance.abandoned ||
      (suspendOnFailure && Exit.isFailure(exit));
    if (!run.interrupted || !wouldStop) return Effect.void;
    instance.interrupted = true;
    instance.suspended = false;
    return Effect.withFiber((fiber) => Effect.interruptible(Fiber.interrupt(fiber)));
  }

  /** Records a completed execution, then wakes its parent. */
  private record(executionId: string, run: Run, result: Result): Effect.Effect<void> {
    if (result._tag !== "Complete") return Effect.void;
    const recorded = fencedWrite(run.instance, () =>
      this.host.persistence.finish(run.registration.workflow, executionId, result.exit, run.fence),
    );
    if (run.parentId === undefined) return recorded;
    return Effect.andThen(
      recorded,
      Effect.forkIn(this.wake(run.parentId, "automatic"), this.host.scope),
    );
  }

  /** After a replay: a completed (or failed) execution closes its scope and is forgotten. */
  private settle(executionId: string, run: Run, exit: Exit.Exit<Result>): Effect.Effect<void> {
    if (Exit.isSuccess(exit) && exit.value._tag === "Suspended") return Effect.void;
    if (Exit.isFailure(exit) && Cause.hasInterruptsOnly(exit.cause) && !run.instance.interrupted) {
      // Stopped from outside (shutdown): the execution stays PENDING for the next launch. A run
      // that lost its ownership is forgotten here: its new owner replays it.
      if (run.instance.abandoned) this.forget(executionId, run);
      return Effect.void;
    }
    const completed = Exit.isSuccess(exit) && exit.value._tag === "Complete";
    return Scope.close(run.scope, Exit.void).pipe(
      Effect.andThen(completed ? Deferred.succeed(run.done, undefined) : Effect.void),
      Effect.andThen(
        Effect.sync(() => {
          if (completed) this.forget(executionId, run);
        }),
      ),
    );
  }
}

/**
 * Runs a write that carries the run's fence. If another executor has taken the execution over,
 * the write is refused; the run is then abandoned (an interruption that skips compensations),
 * as Effect's engines abandon a run that moved elsewhere.
 */
export function fencedWrite<A>(instance: Instance, write: () => Promise<A>): Effect.Effect<A> {
  return Effect.tryPromise(write).pipe(
    Effect.catch((failure) => {
      if (!WorkflowOwnershipLostError.is(failure.cause)) return Effect.die(failure.cause);
      instance.abandoned = true;
      return Effect.interrupt;
    }),
  );
}

function unwakeable(result: Result, mode: WakeMode): boolean {
  return result._tag === "Complete" || (mode === "automatic" && result.failed === true);
}
