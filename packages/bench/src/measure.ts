/**
 * What every scenario needs: the engine and workflows under test, and `measure()`, which runs a
 * phase and returns its wall time, the statements sent and the store calls made during it.
 */
import type { Engine } from "@cairn/core";
import type { CountingStore, StoreCalls } from "./counting-store.js";
import type { StatementCounter, StatementTally } from "./statement-counter.js";
import type { BenchWorkflows, StepTimer } from "./workflows.js";

export interface ScenarioEnv {
  readonly engine: Engine;
  readonly workflows: BenchWorkflows;
  readonly timer: StepTimer;
  readonly statements: StatementCounter | undefined;
  readonly store: CountingStore;
  /** Whether the store has a database for `transaction()` (not the memory store). */
  readonly transactions: boolean;
}

export interface Phase {
  readonly ms: number;
  readonly statements: StatementTally | undefined;
  readonly calls: StoreCalls;
}

export async function measure(env: ScenarioEnv, phase: () => Promise<void>): Promise<Phase> {
  const statements = env.statements?.mark();
  const calls = env.store.mark();
  const started = performance.now();
  await phase();
  const ms = performance.now() - started;
  return { ms, statements: statements?.read(), calls: calls.read() };
}

/** Divides every count by `n`, rounded for reading. */
export function perWorkflow(counts: Readonly<Record<string, number>>, n: number) {
  return Object.fromEntries(
    Object.entries(counts).map(([key, count]) => [key, Number((count / n).toFixed(3))]),
  );
}

/**
 * Statements per step: the phase's statements per workflow, minus those of a workflow with no
 * steps (start and finish), divided by the steps per workflow.
 */
export function statementsPerStep(
  phase: Phase,
  baseline: Phase,
  workflows: number,
  steps: number,
): number | null {
  if (!phase.statements || !baseline.statements) return null;
  const perRun = phase.statements.total / workflows;
  const startFinish = baseline.statements.total / workflows;
  return Number(((perRun - startFinish) / steps).toFixed(3));
}

/** Runs `run` `total` times, `width` at a time; returns each call's milliseconds. */
export async function slidingWindow(
  total: number,
  width: number,
  run: (index: number) => Promise<unknown>,
) {
  const latencies: number[] = [];
  let started = 0;
  const lane = async () => {
    while (started < total) {
      const index = started++;
      const before = performance.now();
      await run(index);
      latencies.push(performance.now() - before);
    }
  };
  await Promise.all(Array.from({ length: Math.min(width, total) }, lane));
  return latencies;
}
