/**
 * Scenario (f): queues (`@cairn/queue` on `@cairn/pg-store/queue`). Four figures, each with
 * engines on their own stores (connections and listeners), as separate processes would have:
 * 1. enqueue rate: an engine that serves nothing enqueues trivial workflows, `inflight` at once
 *    (concurrent enqueues share statements: group commit);
 * 2. bulk enqueue rate: the same number with `enqueueMany`, 1,000 per call, on a queue nobody
 *    serves;
 * 3. drain rate: an engine serving the queue with `workerConcurrency: 50` starts on the backlog
 *    of (1) and runs it to the last SUCCESS (claims, runs with no steps, finishes), timed from
 *    its launch to its observers' last `workflow.finished` of the queue (emitted once the finish
 *    committed; then checked in the database). Until 2026-11-30 the end was found by reading the
 *    queue's counts every 5 ms, a statement that took its share of the server's CPU from the
 *    drain it measured;
 * 4. enqueue→start latency on an idle queue: one enqueue at a time from the enqueuing engine,
 *    each only after the previous one started; from the call to the workflow body starting in the
 *    serving engine. The queue's polling fallback stays at its default (1,000 ms), so a figure
 *    well under that came from a notification (LISTEN/NOTIFY on Postgres).
 */
import { createEngine, workflow, type Engine, type WorkflowStore } from "@cairn/core";
import type { PgStore } from "@cairn/pg-store";
import { createPgQueueStore } from "@cairn/pg-store/queue";
import { createQueues, defineQueue } from "@cairn/queue";
import { slidingWindow } from "./measure.js";
import { distribution, perSecond } from "./stats.js";

/** Opens another store on the bench's database. */
export type StoreOpener = () => WorkflowStore;

const DRAIN_CONCURRENCY = 50;
const BULK_BATCH = 1_000;

export async function runQueues(
  open: StoreOpener,
  options: { items: number; inflight: number; latencySamples: number },
) {
  let ran = 0;
  let started: ((at: number) => void) | undefined;
  const trivial = workflow("bench.queued", async (_ctx, n: number) => {
    ran++;
    started?.(performance.now());
    return n;
  });
  const backlog = defineQueue("bench-backlog", { workerConcurrency: DRAIN_CONCURRENCY });
  const bulk = defineQueue("bench-bulk");
  const idle = defineQueue("bench-idle");
  let drained = 0;
  let allDrained: (() => void) | undefined;
  const engineOn = (serve: Parameters<typeof createQueues>[0]["serve"], executorId: string) => {
    const store = open() as PgStore;
    return createEngine({
      store,
      workflows: [trivial],
      executorId,
      observers: [
        {
          onEvent: (event) => {
            if (event.type !== "workflow.finished" || event.run.queueName !== backlog.name) return;
            if (++drained >= options.items) allDrained?.();
          },
        },
      ],
      plugins: [createQueues({ store: createPgQueueStore(store), serve: serve ?? [] })],
    });
  };
  const enqueuer = engineOn([], "bench-enqueuer");
  let server: Engine | undefined;
  try {
    await enqueuer.launch();

    // 1. Enqueue rate.
    const enqueueStart = performance.now();
    await slidingWindow(options.items, options.inflight, (n) =>
      backlog.enqueue(enqueuer, trivial, n),
    );
    const enqueueMs = performance.now() - enqueueStart;

    // 2. Bulk enqueue rate.
    const inputs = Array.from({ length: options.items }, (_, input) => ({ input }));
    const bulkStart = performance.now();
    for (let i = 0; i < options.items; i += BULK_BATCH) {
      await bulk.enqueueMany(enqueuer, trivial, inputs.slice(i, i + BULK_BATCH));
    }
    const bulkMs = performance.now() - bulkStart;

    // 3. Drain rate.
    server = engineOn([backlog, idle], "bench-server");
    const done = new Promise<void>((resolve) => (allDrained = resolve));
    const drainStart = performance.now();
    await server.launch();
    await done;
    const drainMs = performance.now() - drainStart;
    if (ran < options.items) throw new Error(`only ${ran} of ${options.items} ran`);
    const { SUCCESS } = await backlog.counts(enqueuer);
    if (SUCCESS !== options.items) throw new Error(`${SUCCESS} of ${options.items} succeeded`);

    // 4. Enqueue→start latency on an idle queue.
    const enqueueToStart: number[] = [];
    const commitToStart: number[] = [];
    const warmup = Math.max(10, Math.round(options.latencySamples / 10));
    for (let i = 0; i < warmup + options.latencySamples; i++) {
      const start = new Promise<number>((resolve) => (started = resolve));
      const calling = performance.now();
      const handle = await idle.enqueue(enqueuer, trivial, i);
      const committed = performance.now();
      const at = await start;
      started = undefined;
      await handle.result();
      if (i < warmup) continue;
      enqueueToStart.push(at - calling);
      commitToStart.push(at - committed);
    }
    return {
      shape:
        `${options.items} trivial workflows (no steps) enqueued ${options.inflight} at a time by ` +
        `one engine, as many again with enqueueMany (${BULK_BATCH} per call), the first ` +
        `${options.items} drained by another engine serving the queue with workerConcurrency ` +
        `${DRAIN_CONCURRENCY}; then ${options.latencySamples} single enqueues on an idle queue ` +
        `after ${warmup} warm-up`,
      enqueuesPerSecond: perSecond(options.items, enqueueMs),
      bulkEnqueuesPerSecond: perSecond(options.items, bulkMs),
      drainPerSecond: perSecond(options.items, drainMs),
      drainMs: Math.round(drainMs),
      enqueueToStartMs: distribution(enqueueToStart),
      commitToStartMs: distribution(commitToStart),
    };
  } finally {
    await server?.shutdown();
    await enqueuer.shutdown();
  }
}
