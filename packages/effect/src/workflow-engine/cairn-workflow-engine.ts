/**
 * A `WorkflowEngine` for `effect/workflow` that keeps its state in a Cairn store (Postgres or
 * PGlite), so unmodified `Workflow.make` / `Activity.make` / `DurableClock.sleep` /
 * `DurableDeferred` programs survive a crash: activity results, deferred completions, clock
 * wake-up times and interrupt requests are written before they are acted on, and registering a
 * workflow picks up its unfinished executions. It implements the low-level `Encoded` contract and
 * lets `WorkflowEngine.makeUnsafe` add the typed layer on top. Runs are driven by `runs.ts`;
 * storage is `persistence.ts`; this module answers the contract's calls and owns the lifecycle
 * (migrate, heartbeat, take over expired executors' work, listen for completions made by other
 * processes, close the store).
 */
import { randomUUID } from "node:crypto";
import { hostname } from "node:os";
import {
  createSerializer,
  type SerializationOptions,
  type StoreNotification,
  type WorkflowRecord,
  type WorkflowStore,
} from "@cairn/core";
import {
  Cause,
  Deferred,
  Duration,
  Effect,
  Exit,
  Fiber,
  FiberMap,
  Layer,
  Option,
  Schedule,
} from "effect";
import { Workflow, WorkflowEngine } from "effect/workflow";
import { Persistence, wakeKeys } from "./persistence.js";
import { fencedWrite, Runs, type Registration } from "./runs.js";

/** Options of {@link layerWorkflowEngine}. Only `store` is required. */
export interface CairnWorkflowEngineOptions {
  /** The store, or a function creating it when the layer is built. Closed with the layer. */
  readonly store: WorkflowStore | (() => WorkflowStore);
  /**
   * Who owns the executions this process starts; unique per live process. A restarted process
   * with the same ID resumes its executions at once; others wait for its lease to expire.
   * Default: generated (`<host>-<pid>-<random>`).
   */
  readonly executorId?: string;
  /** How long this process's heartbeat stays valid. Default 30,000 ms. */
  readonly leaseMs?: number;
  /**
   * How values are stored: custom types and a codec (encryption at rest), as core's engines
   * take them (docs/serialization.md). Every payload, exit, activity result and deferred goes
   * through it. Give a `createClient` reading these executions the same. Default: devalue.
   */
  readonly serialization?: SerializationOptions;
}

/** Recovery never dead-letters an Effect execution: a suspended one is recovered at every launch. */
const NEVER_DEAD_LETTER = 2_000_000_000;

/**
 * A layer providing effect's `WorkflowEngine`, backed by a Cairn store.
 *
 * @example
 * const EngineLive = layerWorkflowEngine({ store: () => createPgliteStore({ dataDir: "./data" }) });
 * const Live = SendEmailLive.pipe(Layer.provideMerge(EngineLive));
 */
export const layerWorkflowEngine = (
  options: CairnWorkflowEngineOptions,
): Layer.Layer<WorkflowEngine.WorkflowEngine> =>
  Layer.effect(WorkflowEngine.WorkflowEngine)(makeEngine(options));

const makeEngine = Effect.fnUntraced(function* (options: CairnWorkflowEngineOptions) {
  const store = typeof options.store === "function" ? options.store() : options.store;
  const executorId =
    options.executorId ?? `${hostname()}-${process.pid}-${randomUUID().slice(0, 8)}`;
  const leaseMs = options.leaseMs ?? 30_000;
  const scope = yield* Effect.scope;
  yield* Effect.addFinalizer(() => closeStore(store, executorId));
  yield* Effect.promise(() => store.migrate());
  const registrations = new Map<string, Registration>();
  // The names it runs, for clients' start-by-name check; none registered yet: it advertises none.
  const beat = () =>
    store.heartbeat({
      executorId,
      appVersion: undefined,
      leaseMs,
      workflowNames: registrations.size === 0 ? undefined : [...registrations.keys()],
    });
  yield* Effect.promise(beat);

  const persistence = new Persistence(store, executorId, createSerializer(options.serialization));
  const deferreds = WorkflowEngine.makeDeferredState();
  const clocks = yield* FiberMap.make<string>();
  const runs: Runs = new Runs({ persistence, scope, deferreds, engine: () => engine });

  /** Drives an execution claimed from the store; a run already here takes the new fence. */
  const adopt = (registration: Registration, record: WorkflowRecord) =>
    Effect.gen(function* () {
      const fence = { executorId, epoch: record.ownerEpoch };
      const existing = runs.get(record.workflowId);
      if (existing) {
        existing.fence = fence;
        return;
      }
      const payload = persistence.payload(registration.workflow, record);
      const run = runs.add(
        record.workflowId,
        registration,
        payload,
        record.parentWorkflowId,
        fence,
      );
      const requested = yield* Effect.promise(() =>
        persistence.interruptRequested(record.workflowId),
      );
      run.interrupted = requested !== undefined;
      run.interruptedUnsafe = requested === "unsafe";
      yield* runs.wake(record.workflowId, "explicit");
    });

  /**
   * Claims unfinished executions of `names`: those of executors that are gone, and — when a
   * workflow is registered (`own`), not on later heartbeats, when they may be running here —
   * this executor's own from before a restart.
   */
  const recover = (names: readonly string[], options: { own: boolean; limit: number }) =>
    Effect.gen(function* () {
      const claim = {
        executorId,
        names,
        maxRecoveryAttempts: Object.fromEntries(names.map((n) => [n, NEVER_DEAD_LETTER])),
      };
      const own = options.own
        ? (yield* Effect.promise(() => store.claimRecoverable(claim))).recovered
        : [];
      const gone = yield* Effect.promise(() =>
        store.takeOver({ ...claim, limit: options.limit, ignoreLeases: store.exclusive === true }),
      );
      for (const record of [...own, ...gone.recovered]) {
        const registration = registrations.get(record.name);
        if (registration) yield* adopt(registration, record);
      }
    });

  // Heartbeat, and take over the executions of processes whose lease expired.
  yield* Effect.promise(beat).pipe(
    Effect.andThen(
      Effect.suspend(() =>
        registrations.size === 0
          ? Effect.void
          : recover([...registrations.keys()], { own: false, limit: 100 }),
      ),
    ),
    Effect.catchCause((cause) =>
      Effect.logWarning("Cairn workflow engine: heartbeat failed", cause),
    ),
    Effect.repeat(Schedule.spaced(Math.max(1, Math.floor(leaseMs / 3)))),
    Effect.forkIn(scope),
  );

  if (store.subscribe) {
    const unsubscribe = yield* Effect.promise(() =>
      store.subscribe!((notification) => onNotification(notification)),
    );
    yield* Effect.addFinalizer(() => Effect.promise(unsubscribe));
  }
  /** A deferred completed or an interrupt requested by another process wakes the run here. */
  const onNotification = (notification: StoreNotification) => {
    if (notification.kind !== "event") return;
    const run = runs.get(notification.workflowId);
    if (!run) return;
    const { key } = notification;
    const wake = key.startsWith(wakeKeys.deferred)
      ? Effect.andThen(
          deferreds.deferredDone(notification.workflowId, key.slice(wakeKeys.deferred.length)),
          runs.wake(notification.workflowId, "automatic"),
        )
      : key === wakeKeys.interrupt
        ? Effect.andThen(
            Effect.sync(() => (run.interrupted = true)),
            runs.wake(notification.workflowId, "explicit"),
          )
        : undefined;
    if (wake) Effect.runFork(Effect.forkIn(wake, scope));
  };

  const engine: WorkflowEngine.WorkflowEngine["Service"] = WorkflowEngine.makeUnsafe({
    register: (workflow, execute) =>
      Effect.gen(function* () {
        const registration = { workflow, execute, scope: yield* Effect.scope };
        registrations.set(workflow._tag, registration);
        yield* Effect.promise(beat); // advertise the new name at once
        yield* recover([workflow._tag], { own: true, limit: 10_000 });
      }),

    execute: (workflow, options) =>
      Effect.gen(function* () {
        const registration = registrations.get(workflow._tag);
        if (!registration) return yield* Effect.die(`Workflow ${workflow._tag} is not registered`);
        const executionId = options.executionId;
        let run = runs.get(executionId);
        if (!run) {
          const parentId = options.detached ? undefined : options.parent?.executionId;
          const { created, record } = yield* Effect.promise(() =>
            persistence.create(workflow, executionId, options.payload, parentId),
          );
          if (!created) {
            const exit = yield* Effect.promise(() => persistence.outcome(workflow, record));
            if (exit)
              return (options.discard ? undefined : new Workflow.Complete({ exit })) as never;
            if (record.executorId !== executorId) {
              // Another process drives it; the caller polls on its suspendedRetrySchedule.
              return (options.discard ? undefined : new Workflow.Suspended({})) as never;
            }
            yield* adopt(registration, record);
          } else {
            runs.add(executionId, registration, options.payload, parentId, {
              executorId,
              epoch: record.ownerEpoch,
            });
            yield* runs.wake(executionId, "explicit");
          }
          run = runs.get(executionId);
        }
        if (options.discard || !run?.fiber) return undefined as never;
        const instance = run.instance;
        const exit = yield* Fiber.await(run.fiber);
        if (Exit.isFailure(exit) && Cause.hasInterruptsOnly(exit.cause) && instance.suspended) {
          return new Workflow.Suspended({}) as never;
        }
        return (yield* exit) as never;
      }),

    awaitComplete: (_workflow, executionId) =>
      Effect.suspend(() => {
        const run = runs.get(executionId);
        return run ? Deferred.await(run.done) : Effect.never;
      }),

    poll: (workflow, executionId) =>
      Effect.gen(function* () {
        const run = runs.get(executionId);
        const exit = run?.fiber?.pollUnsafe();
        if (exit)
          return Exit.isSuccess(exit) ? Option.some(exit.value) : yield* Effect.die(exit.cause);
        if (run) return Option.none();
        const record = yield* Effect.promise(() => persistence.get(executionId));
        if (!record) return Option.none();
        const outcome = yield* Effect.promise(() => persistence.outcome(workflow, record));
        return outcome ? Option.some(new Workflow.Complete({ exit: outcome })) : Option.none();
      }),

    interrupt: (_workflow, executionId) =>
      Effect.gen(function* () {
        yield* Effect.promise(() => persistence.requestInterrupt(executionId, "safe"));
        const run = runs.get(executionId);
        if (!run) return;
        run.interrupted = true;
        yield* runs.wake(executionId, "explicit");
      }),

    interruptUnsafe: (_workflow, executionId) =>
      Effect.gen(function* () {
        yield* Effect.promise(() => persistence.requestInterrupt(executionId, "unsafe"));
        const run = runs.get(executionId);
        if (!run) return;
        run.interrupted = true;
        run.interruptedUnsafe = true;
        if (run.fiber) yield* Fiber.interrupt(run.fiber);
        yield* runs.wake(executionId, "explicit");
      }),

    resume: (_workflow, executionId) => runs.wake(executionId, "explicit"),

    activityExecute: (activity, attempt) =>
      Effect.gen(function* () {
        const instance = yield* WorkflowEngine.WorkflowInstance;
        const executionId = instance.executionId;
        const stored = yield* Effect.promise(() =>
          persistence.activity(executionId, activity.name, attempt),
        );
        if (stored) return new Workflow.Complete({ exit: stored });
        // A pending interrupt replays only to rebuild compensations: no new activities.
        if (runs.get(executionId)?.interrupted && !instance.interrupted) {
          return new Workflow.Suspended({});
        }
        const own = WorkflowEngine.WorkflowInstance.initial(instance.workflow, executionId);
        own.interrupted = instance.interrupted;
        const result = yield* activity.executeEncoded.pipe(
          Workflow.intoResult,
          Effect.provideService(WorkflowEngine.WorkflowInstance, own),
        );
        if (result._tag === "Complete") {
          const fence = runs.get(executionId)?.fence;
          yield* fencedWrite(instance, () =>
            persistence.saveActivity(
              executionId,
              { name: activity.name, attempt },
              result.exit,
              fence,
            ),
          );
        }
        return result;
      }),

    deferredResult: (deferred) =>
      Effect.gen(function* () {
        const instance = yield* WorkflowEngine.WorkflowInstance;
        const exit = yield* Effect.promise(() =>
          persistence.deferred(instance.executionId, deferred.name),
        );
        return Option.fromNullishOr(exit);
      }),

    deferredDone: ({ executionId, deferredName, exit }) =>
      Effect.gen(function* () {
        const stored = yield* Effect.promise(() =>
          persistence.completeDeferred(executionId, deferredName, exit),
        );
        if (!stored) return;
        const wake = Effect.andThen(
          deferreds.deferredDone(executionId, deferredName),
          runs.wake(executionId, "automatic"),
        );
        const current = yield* Effect.serviceOption(WorkflowEngine.WorkflowInstance);
        // A run cannot wait for its own cleanup: its own completions wake it from the engine's scope.
        if (Option.isSome(current) && current.value.executionId === executionId) {
          yield* Effect.forkIn(wake, scope);
        } else {
          yield* wake;
        }
      }),

    scheduleClock: (workflow, { executionId, clock }) =>
      Effect.gen(function* () {
        const fired = yield* Effect.promise(() =>
          persistence.deferred(executionId, clock.deferred.name),
        );
        if (fired) return;
        const now = Date.now();
        const fence = runs.get(executionId)?.fence;
        const wakeAt = yield* Effect.promise(() =>
          persistence.clockWakeAt(
            executionId,
            clock.name,
            now + Duration.toMillis(clock.duration),
            fence,
          ),
        );
        yield* engine
          .deferredDone(clock.deferred, {
            workflowName: workflow._tag,
            executionId,
            deferredName: clock.deferred.name,
            exit: Exit.void,
          })
          .pipe(
            Effect.delay(Math.max(0, wakeAt - now)),
            FiberMap.run(clocks, `${executionId}/${clock.name}`, { onlyIfMissing: true }),
          );
      }),
  });
  return engine;
});

/** At shutdown: mark this executor stopped (others may take over at once) and close the store. */
function closeStore(store: WorkflowStore, executorId: string): Effect.Effect<void> {
  return Effect.promise(async () => {
    await store.stopExecutor(executorId).catch(() => undefined);
    await store.close();
  });
}
