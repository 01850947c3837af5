/**
 * Crash injection for users' tests: an engine that "dies" right after its Nth step checkpoint
 * is durable, and a restart that recovers on the same store — proof that a workflow resumes
 * where it stopped and runs no recorded step again. The crash is simulated in-process: from the
 * crash on, every call the dead engine makes to the store never returns (as if the process were
 * gone), so it records nothing more and its in-flight work is abandoned. A real SIGKILL needs a
 * child process; this one needs none, and works with any store.
 */
import { createEngine, type Engine, type EngineOptions } from "../engine.js";
import type { StepRecord } from "../store/records.js";
import type { WorkflowStore } from "../store/workflow-store.js";
import { createMemoryStore } from "./memory-store.js";

/** Options of {@link createCrashTest}: the engine's, with a default store and executor ID. */
export interface CrashTestOptions extends Omit<EngineOptions, "store" | "executorId"> {
  /** The store both lives share. Default: a new memory store. */
  readonly store?: WorkflowStore;
  /** The executor ID both lives use, so the restart resumes at once. Default `"crash-test"`. */
  readonly executorId?: string;
}

/** An engine that can be crashed and restarted. Create with {@link createCrashTest}. */
export interface CrashTest {
  /** The live engine: the first one, and after `restart()` the new one. */
  readonly engine: Engine;
  /** The store underneath (unaffected by the crash). */
  readonly store: WorkflowStore;
  /** Launches the first engine. */
  launch(): Promise<Engine>;
  /**
   * Crashes the engine right after the `count`th step checkpoint (counted from now; sleeps,
   * `ctx.now()` and other internal operations do not count) is durable. Resolves at the crash.
   */
  crashAfterSteps(count: number): Promise<void>;
  /** Crashes the engine now. */
  crash(): void;
  /** Whether the engine has crashed. */
  readonly crashed: boolean;
  /** A new engine on the same store and executor ID, launched: it recovers what was left. */
  restart(): Promise<Engine>;
}

/**
 * Creates an engine whose process can be "killed" at a chosen checkpoint, and restarted.
 *
 * @example
 * const test = createCrashTest({ workflows: [checkout] });
 * await test.launch();
 * const crashed = test.crashAfterSteps(1);
 * await test.engine.start(checkout, input, { id: "c-1" });
 * await crashed;                       // step 1 is recorded, step 2 never ran
 * const engine = await test.restart(); // recovers c-1 from step 2
 * expect(await engine.retrieve("c-1").result()).toEqual(...);
 */
export function createCrashTest(options: CrashTestOptions): CrashTest {
  const store = options.store ?? createMemoryStore();
  const engineOptions = { ...options, store, executorId: options.executorId ?? "crash-test" };
  let gate = crashGate(store);
  let engine = createEngine({ ...engineOptions, store: gate.store });
  return {
    get engine() {
      return engine;
    },
    store,
    launch: async () => {
      await engine.launch();
      return engine;
    },
    crashAfterSteps: (count) => gate.crashAfterSteps(count),
    crash: () => gate.crash(),
    get crashed() {
      return gate.crashed;
    },
    restart: async () => {
      if (!gate.crashed) gate.crash(); // the old engine must not keep writing beside the new one
      gate = crashGate(store);
      engine = createEngine({ ...engineOptions, store: gate.store });
      await engine.launch();
      return engine;
    },
  };
}

interface CrashGate {
  readonly store: WorkflowStore;
  readonly crashed: boolean;
  crash(): void;
  crashAfterSteps(count: number): Promise<void>;
}

const never = new Promise<never>(() => undefined);

/** A view of `store` that stops answering once crashed. */
function crashGate(store: WorkflowStore): CrashGate {
  let crashed = false;
  let remaining = Number.POSITIVE_INFINITY;
  const onCrash: (() => void)[] = [];
  const crash = () => {
    if (crashed) return;
    crashed = true;
    for (const resolve of onCrash.splice(0)) resolve();
  };
  const view = new Proxy(store, {
    get(target, key, receiver) {
      const value: unknown = Reflect.get(target, key, receiver);
      if (typeof value !== "function") return value;
      return (...args: unknown[]) => {
        if (crashed) return never; // a dead process writes nothing and hears nothing back
        const result: unknown = Reflect.apply(value, target, args);
        if (key !== "recordStep" || !(result instanceof Promise)) return result;
        return result.then((stored: boolean) => {
          if (stored && countsAsStep(args[0] as StepRecord) && --remaining === 0) crash();
          return crashed ? never : stored;
        });
      };
    },
  });
  return {
    store: view,
    get crashed() {
      return crashed;
    },
    crash,
    crashAfterSteps(count) {
      if (!Number.isInteger(count) || count < 1) {
        return Promise.reject(
          new RangeError(`crashAfterSteps: expected an integer >= 1, got ${count}`),
        );
      }
      remaining = count;
      return crashed ? Promise.resolve() : new Promise((resolve) => onCrash.push(resolve));
    },
  };
}

/** User steps and child starts count; the context's own operations (`cairn.*`) do not. */
function countsAsStep(step: StepRecord): boolean {
  return !step.name.startsWith("cairn.");
}
