/**
 * pg-boss in the compare mode: a job queue, not a workflow engine, so only the queue rows. Its
 * defaults (schema `pgboss`, a pool of 10, standard queues without NOTIFY), `send` one job at a
 * time, `insert` for bulk, and one worker taking batches of `concurrency` jobs with
 * `burstWhenBatchFull` so it fetches again at once while batches come back full (without it, the
 * worker waits its polling interval, at least 0.5 s, between fetches).
 */
import { PgBoss } from "pg-boss";
import { BACKLOG, BULK_QUEUE, WARMUP_QUEUE, type SystemAdapter } from "./system.js";

async function start(url: string): Promise<PgBoss> {
  const boss = new PgBoss({ connectionString: url });
  boss.on("error", (error) => process.stderr.write(`[pg-boss] ${String(error)}\n`));
  await boss.start();
  return boss;
}

const stop = (boss: PgBoss) => () => boss.stop({ graceful: false });

export const pgBoss: SystemAdapter = {
  schema: "pgboss",
  async enqueuer(url) {
    const boss = await start(url);
    for (const name of [BACKLOG, WARMUP_QUEUE, BULK_QUEUE]) await boss.createQueue(name);
    return {
      enqueue: (n) => boss.send(BACKLOG, { n }),
      enqueueWarmup: (n) => boss.send(WARMUP_QUEUE, { n }),
      enqueueMany: (ns) =>
        boss.insert(
          BULK_QUEUE,
          ns.map((n) => ({ data: { n } })),
        ),
      close: stop(boss),
    };
  },
  async drainer(url, concurrency) {
    const boss = await start(url);
    await boss.work<{ n: number }>(
      BACKLOG,
      { batchSize: concurrency, burstWhenBatchFull: true },
      async (jobs) => jobs.map((job) => job.data.n),
    );
    return { close: stop(boss) };
  },
  backlogDone: `select count(*)::int as n,
      (extract(epoch from max(completed_on)) * 1000)::float8 as last_ms
    from pgboss.job where name = '${BACKLOG}' and state = 'completed'`,
};
