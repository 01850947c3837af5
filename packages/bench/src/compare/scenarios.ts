/**
 * The compare scenarios, the same code for every system (the adapters differ, the loops and
 * clocks do not): sequential 20-step runs, three-step workflows with a window in flight, enqueue
 * one at a time with a window in flight, bulk enqueue, the drain of the enqueued backlog, and the
 * recovery of half-done workflows. Each returns figures (timing) and statement tallies (only
 * meaningful in a counting pass, where the system talks to the server through the proxy).
 */
import type postgres from "postgres";
import { slidingWindow } from "../measure.js";
import type { StatementCounter, StatementTally } from "../statement-counter.js";
import { perSecond } from "../stats.js";
import { markCpu } from "./cpu-meter.js";
import type { Sizes, StatementFigure } from "./protocol.js";
import type { Closable, SystemAdapter } from "./system.js";
import { median, type FigureKey } from "./table.js";

export interface PhaseResult {
  readonly figures: Partial<Record<FigureKey, number>>;
  readonly statements: Partial<Record<FigureKey, StatementFigure>>;
}

/** Statements of `tally` per unit (less `minus`), with the ten most frequent texts per unit. */
export function perUnit(
  tally: StatementTally,
  units: number,
  textsPer: string,
  minus = 0,
): StatementFigure {
  const byText = Object.entries(tally.byText)
    .sort(([, a], [, b]) => b - a)
    .slice(0, 10)
    .map(([text, n]): [string, number] => [text, round3(n / units)]);
  return {
    perUnit: round3(tally.total / units - minus),
    textsPer,
    byText: Object.fromEntries(byText),
  };
}

const round3 = (x: number) => Number(x.toFixed(3));

async function tallied(counter: StatementCounter, run: () => Promise<unknown>) {
  const mark = counter.mark();
  const started = performance.now();
  await run();
  return { ms: performance.now() - started, tally: mark.read() };
}

export async function workflowsPhase(
  adapter: SystemAdapter,
  url: string,
  sizes: Sizes,
  counter: StatementCounter,
): Promise<PhaseResult> {
  if (!adapter.workflows) return { figures: {}, statements: {} };
  const runner = await adapter.workflows(url);
  try {
    for (let i = 0; i < sizes.warmup; i++) {
      await runner.runTwentySteps();
      await runner.runNoSteps();
    }
    const baseline = await tallied(counter, async () => {
      for (let i = 0; i < sizes.runs; i++) await runner.runNoSteps();
    });
    const runMs: number[] = [];
    const sequential = await tallied(counter, async () => {
      for (let i = 0; i < sizes.runs; i++) {
        const started = performance.now();
        await runner.runTwentySteps();
        runMs.push(performance.now() - started);
      }
    });
    const startFinish = baseline.tally.total / sizes.runs;
    const stepStatements = perUnit(sequential.tally, sizes.runs, "20-step run", startFinish);

    const warm = Math.min(sizes.workflows, Math.max(200, sizes.inflight * 2));
    await slidingWindow(warm, sizes.inflight, () => runner.runThreeSteps());
    const concurrent = await tallied(counter, () =>
      slidingWindow(sizes.workflows, sizes.inflight, () => runner.runThreeSteps()),
    );
    return {
      figures: {
        msPerStep: (median(runMs) ?? Number.NaN) / 20,
        workflowsPerSecond: perSecond(sizes.workflows, concurrent.ms),
      },
      statements: {
        // Statements per run minus those of a run with no steps, over 20 steps.
        statementsPerStep: { ...stepStatements, perUnit: round3(stepStatements.perUnit / 20) },
        statementsPerWorkflow: perUnit(concurrent.tally, sizes.workflows, "three-step workflow"),
      },
    };
  } finally {
    await runner.close();
  }
}

export async function enqueuePhase(
  adapter: SystemAdapter,
  url: string,
  sizes: Sizes,
  counter: StatementCounter,
  observer: postgres.Sql,
): Promise<PhaseResult> {
  const enqueuer = await adapter.enqueuer(url, sizes.concurrency, sizes.dbosPollMs);
  try {
    await slidingWindow(sizes.inflight * 2, sizes.inflight, (n) => enqueuer.enqueueWarmup(n));
    const single = await tallied(counter, () =>
      slidingWindow(sizes.queueItems, sizes.inflight, (n) => enqueuer.enqueue(n)),
    );
    const figures: PhaseResult["figures"] = {
      enqueuePerSecond: perSecond(sizes.queueItems, single.ms),
    };
    const statements: PhaseResult["statements"] = {
      statementsPerEnqueue: perUnit(single.tally, sizes.queueItems, "enqueue"),
    };
    const many = enqueuer.enqueueMany;
    if (many) {
      const batch = (b: number) =>
        Array.from({ length: sizes.batch }, (_, i) => b * sizes.batch + i);
      await many(batch(0)); // warm-up
      const cpu = await markCpu(observer);
      const bulk = await tallied(counter, async () => {
        for (let b = 1; b <= sizes.batches; b++) await many(batch(b));
      });
      const items = sizes.batch * sizes.batches;
      const { nodeUs, serverUs } = await cpu.read(items);
      figures.bulkEnqueuePerSecond = perSecond(items, bulk.ms);
      figures.bulkNodeCpuUs = nodeUs;
      if (serverUs !== undefined) figures.bulkServerCpuUs = serverUs;
      statements.statementsPerBulkItem = perUnit(bulk.tally, items, "item");
    }
    return { figures, statements };
  } finally {
    await enqueuer.close();
  }
}

/** Between the observer's polls: each poll is a count the server plans and runs. */
const POLL_MS = 25;

interface Done {
  readonly n: number;
  /** When the last one finished, in epoch ms, by the system's own record of it. */
  readonly lastMs: number | null;
}

/**
 * Polls `query` (a count, with the last finish's time) on the observer until `until(n)` holds.
 * The polls are far apart ({@link POLL_MS}) because each costs the server CPU the systems share
 * (planning the count alone took 1.1 ms on Cairn's table and 0.2 ms on pg-boss's); the phase's
 * end is the time the system itself wrote on its last finished row, so the interval does not
 * blur it.
 */
async function pollCount(
  observer: postgres.Sql,
  query: string,
  until: (n: number) => boolean,
): Promise<Done> {
  for (;;) {
    const [row] = await observer.unsafe<{ n: number; last_ms: number | null }[]>(query);
    const done = { n: row?.n ?? 0, lastMs: row?.last_ms ?? null };
    if (until(done.n)) return done;
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}

/** Milliseconds from `startedAt` (epoch ms, this process's clock) to the last finish recorded. */
function untilLastFinish(startedAt: number, done: Done): number {
  // The server runs on this machine: its clock is this process's clock.
  if (done.lastMs === null || done.lastMs < startedAt) {
    throw new Error(
      `the last finish (${String(done.lastMs)}) is not after the start (${startedAt})`,
    );
  }
  return done.lastMs - startedAt;
}

/**
 * From launching a serving process to the last backlog item finished. Statements and CPU are
 * counted in the steady state only, from a tenth of the backlog done to nine tenths, so neither
 * the launch nor the tail is in the per-item figures (the CPU includes the observer's polls:
 * this process's few, and their backend's, the same for every system).
 */
export async function drainPhase(
  adapter: SystemAdapter,
  url: string,
  sizes: Sizes,
  counter: StatementCounter,
  observer: postgres.Sql,
): Promise<PhaseResult> {
  const total = sizes.queueItems;
  const startedAt = Date.now();
  const drainer = await adapter.drainer(url, sizes.concurrency);
  try {
    const from = (await pollCount(observer, adapter.backlogDone, (n) => n >= total / 10)).n;
    const mark = counter.mark();
    const cpu = await markCpu(observer);
    const to = (await pollCount(observer, adapter.backlogDone, (n) => n >= (total * 9) / 10)).n;
    const steady = mark.read();
    const { nodeUs, serverUs } = await cpu.read(to - from);
    const ms = untilLastFinish(
      startedAt,
      await pollCount(observer, adapter.backlogDone, (n) => n >= total),
    );
    return {
      figures: {
        drainPerSecond: perSecond(total, ms),
        drainNodeCpuUs: nodeUs,
        ...(serverUs === undefined ? {} : { drainServerCpuUs: serverUs }),
      },
      statements: {
        statementsPerDrainedItem: perUnit(steady, Math.max(1, to - from), "drained item"),
      },
    };
  } finally {
    await drainer.close();
  }
}

/** From launching the recovering process to every half-done workflow finished. */
export async function recoverPhase(
  adapter: SystemAdapter,
  url: string,
  sizes: Sizes,
  counter: StatementCounter,
  observer: postgres.Sql,
): Promise<PhaseResult> {
  const recovery = adapter.recovery;
  if (!recovery) return { figures: {}, statements: {} };
  let recovered: Closable | undefined;
  try {
    const startedAt = Date.now();
    let done: Done | undefined;
    const { tally } = await tallied(counter, async () => {
      recovered = await recovery.recover(url);
      done = await pollCount(observer, recovery.done, (n) => n >= sizes.recovery);
    });
    return {
      figures: { recoverySeconds: untilLastFinish(startedAt, done as Done) / 1000 },
      statements: {
        // Launch included: what a restarted process sends until its work is done.
        statementsPerRecoveredWorkflow: perUnit(tally, sizes.recovery, "recovered workflow"),
      },
    };
  } finally {
    await recovered?.close();
  }
}
