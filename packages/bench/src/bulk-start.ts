/**
 * Scenario (g): bulk start (`startMany`), 1,000 workflows per call, one call at a time. Two
 * figures, on the bench's own store (so its statements are counted):
 * 1. `client.startMany`: the write alone. The workflows name an executor that does not exist,
 *    so no engine picks them up and nothing runs beside the writes.
 * 2. `engine.startMany` of a workflow with no steps: the write, then each created workflow run
 *    here as `engine.start` runs it. The rate is to the last call resolving (every workflow
 *    written and spawned); the runs finish in the background, and the time to the last finish is
 *    reported too.
 * Node's CPU per item (`process.cpuUsage`) is given beside each, since the write is one
 * statement per 1,000 and the rest is this process's work.
 */
import {
  createClient,
  workflow,
  type Engine,
  type WorkflowHandle,
  type WorkflowStore,
} from "@cairn/core";
import type { StatementCounter } from "./statement-counter.js";
import { perSecond, round } from "./stats.js";

export const BULK_START_BATCH = 1_000;

/** A workflow with no steps, run by `engine.startMany`. */
export const bulkStarted = workflow("bench.bulk-started", async (_ctx, n: number) =>
  Promise.resolve(n),
);

interface PhaseFigures {
  readonly perSecond: number;
  readonly ms: number;
  readonly statementsPer1000: number | null;
  readonly nodeCpuMsPer1000: number;
}

/** Runs `phase` and reports its rate, statements and Node CPU per 1,000 items. */
async function timed(
  items: number,
  statements: StatementCounter | undefined,
  phase: () => Promise<void>,
): Promise<PhaseFigures> {
  const mark = statements?.mark();
  const cpu = process.cpuUsage();
  const started = performance.now();
  await phase();
  const ms = performance.now() - started;
  const used = process.cpuUsage(cpu);
  const total = mark?.read().total;
  return {
    perSecond: perSecond(items, ms),
    ms: Math.round(ms),
    statementsPer1000: total === undefined ? null : round((total * 1000) / items),
    nodeCpuMsPer1000: round(((used.user + used.system) / 1000 / items) * 1000),
  };
}

export async function runBulkStart(
  engine: Engine,
  store: WorkflowStore,
  statements: StatementCounter | undefined,
  items: number,
) {
  // The client shares the engine's store (and its statement counter); it must not close it.
  const client = createClient({ store: { ...store, close: () => Promise.resolve() } });
  const batches = (prefix: string) =>
    Array.from({ length: Math.ceil(items / BULK_START_BATCH) }, (_, b) =>
      Array.from({ length: Math.min(BULK_START_BATCH, items - b * BULK_START_BATCH) }, (_, i) => ({
        input: b * BULK_START_BATCH + i,
        id: `${prefix}-${b * BULK_START_BATCH + i}`,
      })),
    );
  try {
    // "bench.unserved" workflows go to an executor that never runs (no engine registers the
    // name, so allowUnregistered skips the client's name check): assigned to this engine, they
    // would be reported as unregistered here.
    const unregistered = { allowUnregistered: true };
    const unserved = (prefix: string) =>
      batches(prefix).map((batch) =>
        batch.map((item) => ({ ...item, executorId: "bench-nobody" })),
      );
    // Warm-up: the statements are prepared and the code paths compiled before either phase.
    await client.startMany("bench.unserved", unserved("warm-client")[0] ?? [], unregistered);
    await engine.waitAll(await engine.startMany(bulkStarted, batches("warm-engine")[0] ?? []));

    const clientBatches = unserved("client");
    const clientStartMany = await timed(items, statements, async () => {
      for (const batch of clientBatches) {
        await client.startMany("bench.unserved", batch, unregistered);
      }
    });

    const handles: WorkflowHandle<number>[] = [];
    const engineBatches = batches("engine");
    const started = performance.now();
    const engineStartMany = await timed(items, statements, async () => {
      for (const batch of engineBatches)
        handles.push(...(await engine.startMany(bulkStarted, batch)));
    });
    await engine.waitAll(handles, { timeoutMs: 600_000 });
    const finishedMs = performance.now() - started;
    return {
      shape:
        `${items} workflows started ${BULK_START_BATCH} per call, one call at a time: first by ` +
        `client.startMany for an executor that does not exist (the write alone), then by ` +
        `engine.startMany of a no-step workflow (written, then run here)`,
      clientStartMany,
      engineStartMany,
      engineStartManyToLastFinishPerSecond: perSecond(items, finishedMs),
    };
  } finally {
    await client.close();
  }
}
