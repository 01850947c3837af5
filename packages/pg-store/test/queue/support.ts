/**
 * What the queue tests share: an engine with a queue runtime on a test database, a gate a step
 * can wait on (so a test decides when a running workflow finishes, without sleeping), and a
 * manual clock for cron schedules. The queue tests live in pg-store, not in `@cairn/queue`: the
 * queue package cannot depend on pg-store (pg-store depends on it), and turbo refuses cycles.
 */
import { createEngine, type AnyWorkflow, type Engine } from "@cairn/core";
import {
  createQueues,
  type Queue,
  type QueueClock,
  type QueueRuntime,
  type QueueStore,
  type Schedule,
} from "@cairn/queue";
import { createPgQueueStore } from "../../src/queue/index.js";
import type { PgStore } from "../../src/index.js";
import { quietLogger, type TestDatabase } from "../support/engine-databases.js";

/** An engine with a queue runtime, launched. */
export interface QueueEngine {
  readonly engine: Engine;
  readonly runtime: QueueRuntime;
  readonly queueStore: QueueStore;
}

export interface QueueEngineOptions {
  readonly workflows: readonly AnyWorkflow[];
  readonly serve?: readonly Queue[];
  readonly schedules?: readonly Schedule[];
  readonly clock?: QueueClock;
  readonly executorId?: string;
  readonly leaseMs?: number;
  readonly claimBatch?: number;
  readonly shutdownGraceMs?: number;
  readonly queueShutdownGraceMs?: number;
}

/** Creates and launches an engine with queues on `db` (its own store and connections). */
export async function launchQueueEngine(
  db: TestDatabase,
  options: QueueEngineOptions,
): Promise<QueueEngine> {
  const store = db.store() as PgStore;
  const queueStore = createPgQueueStore(store);
  const runtime = createQueues({
    store: queueStore,
    serve: options.serve ?? [],
    schedules: options.schedules ?? [],
    pollIntervalMs: 200,
    ...(options.claimBatch === undefined ? {} : { claimBatch: options.claimBatch }),
    ...(options.clock === undefined ? {} : { clock: options.clock }),
    shutdownGraceMs: options.queueShutdownGraceMs ?? 0,
  });
  const engine = createEngine({
    store,
    workflows: options.workflows,
    plugins: [runtime],
    logger: quietLogger,
    pollIntervalMs: 200,
    shutdownGraceMs: options.shutdownGraceMs ?? 200,
    ...(options.executorId === undefined ? {} : { executorId: options.executorId }),
    ...(options.leaseMs === undefined ? {} : { leaseMs: options.leaseMs }),
  });
  await engine.launch();
  return { engine, runtime, queueStore };
}

/** A promise a step waits on until the test opens it. */
export class Gate {
  private open!: () => void;
  readonly opened: Promise<void>;
  private reached!: () => void;
  /** Resolves once something waits on the gate. */
  readonly waiting: Promise<void>;

  constructor() {
    this.opened = new Promise<void>((resolve) => (this.open = resolve));
    this.waiting = new Promise<void>((resolve) => (this.reached = resolve));
  }

  /** Waits until the test opens the gate. */
  async pass(): Promise<void> {
    this.reached();
    await this.opened;
  }

  release(): void {
    this.open();
  }
}

/** Resolves when `check` returns true, polling every 10 ms, or fails after `timeoutMs`. */
export async function eventually(
  check: () => boolean | Promise<boolean>,
  timeoutMs = 10_000,
  what = "condition",
): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** A clock that only moves when the test says so. */
export class ManualClock implements QueueClock {
  private current: number;
  private sleepers: { until: number; resolve: () => void }[] = [];

  constructor(start: number) {
    this.current = start;
  }

  now(): number {
    return this.current;
  }

  sleep(ms: number, signal: AbortSignal): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      if (signal.aborted) return reject(signal.reason as Error);
      const sleeper = { until: this.current + ms, resolve };
      signal.addEventListener("abort", () => {
        this.sleepers = this.sleepers.filter((s) => s !== sleeper);
        reject(signal.reason as Error);
      });
      this.sleepers.push(sleeper);
      this.wakeDue();
    });
  }

  /** How many loops are asleep on this clock. */
  get sleeping(): number {
    return this.sleepers.length;
  }

  /** Moves the clock to `at` and wakes every sleeper that is due. */
  set(at: number): void {
    this.current = at;
    this.wakeDue();
  }

  private wakeDue(): void {
    const due = this.sleepers.filter((s) => s.until <= this.current);
    this.sleepers = this.sleepers.filter((s) => s.until > this.current);
    for (const sleeper of due) sleeper.resolve();
  }
}
