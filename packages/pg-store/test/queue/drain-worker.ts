/**
 * A worker process for `processes.test.ts`: an engine that serves one queue on a real Postgres
 * and runs `drainJob`. Each run writes down, outside any step (so a rerun after a crash writes
 * again), when it began and ended on the database clock and in which process, into the test's
 * `drain_runs` table: the test reads how many ran at once from there, independently of the
 * queue's own bookkeeping. Prints `ready` once serving.
 */
import { createEngine, step, workflow } from "@cairn/core";
import { createQueues, defineQueue, type QueueOptions } from "@cairn/queue";
import postgres from "postgres";
import { createPgStore } from "../../src/index.js";
import { createPgQueueStore } from "../../src/queue/index.js";
import { printMarker, programConfig } from "../crash/marked-process.js";

export interface DrainWorkerConfig {
  readonly url: string;
  readonly schema: string;
  readonly queue: string;
  readonly limits: QueueOptions;
  readonly leaseMs: number;
  readonly workMs: number;
}

export type DrainMarker = { readonly kind: "ready"; readonly pid: number };

const config = programConfig<DrainWorkerConfig>();
const log = postgres(config.url, { max: 4, onnotice: () => {} });
const runs = `"${config.schema}".drain_runs`;

const work = step("work", async (n: number) => {
  await new Promise((resolve) =>
    setTimeout(resolve, config.workMs / 2 + Math.random() * config.workMs),
  );
  return n;
});

const drainJob = workflow({ name: "drainJob" }, async (ctx, n: number) => {
  const [run] = await log.unsafe<{ id: number }[]>(
    `insert into ${runs} (workflow_id, pid, begun_at) values ($1, $2, clock_timestamp()) returning id`,
    [ctx.workflowId, process.pid],
  );
  await work(ctx, n);
  await log.unsafe(`update ${runs} set ended_at = clock_timestamp() where id = $1`, [
    run?.id ?? -1,
  ]);
  return n;
});

const queue = defineQueue(config.queue, config.limits);
const store = createPgStore({ url: config.url, schema: config.schema, max: 8 });
const engine = createEngine({
  store,
  workflows: [drainJob],
  leaseMs: config.leaseMs,
  pollIntervalMs: 200,
  plugins: [
    createQueues({ store: createPgQueueStore(store), serve: [queue], pollIntervalMs: 200 }),
  ],
});
await engine.launch();
printMarker<DrainMarker>({ kind: "ready", pid: process.pid });
