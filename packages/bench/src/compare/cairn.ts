/**
 * Cairn in the compare mode: `createPgStore({ url })` with its defaults (schema `cairn`, a pool
 * of 10), one engine per role as separate processes would have, `@cairn/queue` on
 * `@cairn/pg-store/queue`. Steps are `step("bump", n => n + 1)`, as in the rest of the bench.
 */
import { createEngine, step, workflow, type Engine } from "@cairn/core";
import { createPgStore } from "@cairn/pg-store";
import { createPgQueueStore } from "@cairn/pg-store/queue";
import { createQueues, defineQueue, type Queue } from "@cairn/queue";
import { BACKLOG, BULK_QUEUE, WARMUP_QUEUE, type SystemAdapter } from "./system.js";

const bump = step("bump", (n: number) => n + 1);

const chain = (name: string, steps: number) =>
  workflow(name, async (ctx, start: number) => {
    let n = start;
    for (let i = 0; i < steps; i++) n = await bump(ctx, n);
    return n;
  });

const twentySteps = chain("bench.twenty-steps", 20);
const threeSteps = chain("bench.three-steps", 3);
const noSteps = chain("bench.no-steps", 0);
const queued = workflow("bench.queued", async (_ctx, n: number) => n);

/** While set, step 6 of the recovery workflow tells it and blocks until the process dies. */
let parking: (() => void) | undefined;
const park = step("park", async (n: number) => {
  if (parking) {
    parking();
    await new Promise(() => {});
  }
  return n + 1;
});
const recovering = workflow("bench.recovery", async (ctx, start: number) => {
  let n = start;
  for (let i = 0; i < 5; i++) n = await bump(ctx, n);
  n = await park(ctx, n);
  for (let i = 0; i < 4; i++) n = await bump(ctx, n);
  return n;
});

const RECOVERY_EXECUTOR = "bench-recovery";

function queueEngine(url: string, executorId: string, serve: readonly Queue[]): Engine {
  const store = createPgStore({ url });
  return createEngine({
    store,
    workflows: [queued],
    executorId,
    plugins: [createQueues({ store: createPgQueueStore(store), serve })],
  });
}

const closing = (engine: Engine) => () => engine.shutdown();

export const cairn: SystemAdapter = {
  schema: "cairn",
  async workflows(url) {
    const engine = createEngine({
      store: createPgStore({ url }),
      workflows: [twentySteps, threeSteps, noSteps],
      executorId: "bench-workflows",
    });
    await engine.launch();
    return {
      runTwentySteps: () => engine.run(twentySteps, 0),
      runThreeSteps: () => engine.run(threeSteps, 0),
      runNoSteps: () => engine.run(noSteps, 0),
      close: closing(engine),
    };
  },
  async enqueuer(url, concurrency) {
    const backlog = defineQueue(BACKLOG, { workerConcurrency: concurrency });
    const warmup = defineQueue(WARMUP_QUEUE);
    const bulk = defineQueue(BULK_QUEUE);
    const engine = queueEngine(url, "bench-enqueuer", []);
    await engine.launch();
    return {
      enqueue: (n) => backlog.enqueue(engine, queued, n),
      enqueueWarmup: (n) => warmup.enqueue(engine, queued, n),
      enqueueMany: (ns) =>
        bulk.enqueueMany(
          engine,
          queued,
          ns.map((input) => ({ input })),
        ),
      close: closing(engine),
    };
  },
  async drainer(url, concurrency) {
    const backlog = defineQueue(BACKLOG, { workerConcurrency: concurrency });
    const engine = queueEngine(url, "bench-drainer", [backlog]);
    await engine.launch();
    return { close: closing(engine) };
  },
  backlogDone: `select count(*)::int as n, max(completed_at)::float8 as last_ms
    from cairn.workflows where queue_name = '${BACKLOG}' and status = 'SUCCESS'`,
  recovery: {
    async crash(url, count, parked) {
      parking = parked;
      const engine = createEngine({
        store: createPgStore({ url }),
        workflows: [recovering],
        executorId: RECOVERY_EXECUTOR,
      });
      await engine.launch();
      for (let i = 0; i < count; i++) await engine.start(recovering, i);
    },
    async recover(url) {
      parking = undefined;
      const engine = createEngine({
        store: createPgStore({ url }),
        workflows: [recovering],
        executorId: RECOVERY_EXECUTOR,
      });
      await engine.launch();
      return { close: closing(engine) };
    },
    done: `select count(*)::int as n, max(completed_at)::float8 as last_ms
      from cairn.workflows where name = 'bench.recovery' and status = 'SUCCESS'`,
  },
};
