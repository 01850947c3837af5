/**
 * DBOS Transact in the compare mode: the static `DBOS` API with its defaults (system database
 * only, schema `dbos`, a pool of 10), steps registered with `DBOS.registerStep`, queues with
 * `DBOS.registerQueue` and `DBOS.startWorkflow(fn, { queueName })`. One DBOS per process, so
 * every role is its own child process; `listenQueues` keeps the enqueuing process from serving.
 * The queue's `minPollingIntervalMs` is set from the options (DBOS's default, 1,000 ms, caps a
 * queue at `workerConcurrency` dispatches per second).
 */
import { DBOS } from "@dbos-inc/dbos-sdk";
import { BACKLOG, WARMUP_QUEUE, type SystemAdapter } from "./system.js";

const bump = DBOS.registerStep(async (n: number) => n + 1, { name: "bump" });

const chain = (name: string, steps: number) =>
  DBOS.registerWorkflow(
    async (start: number) => {
      let n = start;
      for (let i = 0; i < steps; i++) n = await bump(n);
      return n;
    },
    { name },
  );

const twentySteps = chain("twentySteps", 20);
const threeSteps = chain("threeSteps", 3);
const noSteps = chain("noSteps", 0);
const queued = DBOS.registerWorkflow(async (n: number) => n, { name: "queued" });

/** While set, step 6 of the recovery workflow tells it and blocks until the process dies. */
let parking: (() => void) | undefined;
const park = DBOS.registerStep(
  async (n: number) => {
    if (parking) {
      parking();
      await new Promise(() => {});
    }
    return n + 1;
  },
  { name: "park" },
);
const recovering = DBOS.registerWorkflow(
  async (start: number) => {
    let n = start;
    for (let i = 0; i < 5; i++) n = await bump(n);
    n = await park(n);
    for (let i = 0; i < 4; i++) n = await bump(n);
    return n;
  },
  { name: "recovery" },
);

const RECOVERY_EXECUTOR = "bench-recovery";

async function launch(url: string, executorID: string, listenQueues: string[]) {
  DBOS.setConfig({
    name: "cairn-bench",
    systemDatabaseUrl: url,
    executorID,
    applicationVersion: "bench",
    listenQueues,
    logLevel: "warn",
  });
  await DBOS.launch();
}

const close = () => DBOS.shutdown();

export const dbos: SystemAdapter = {
  schema: "dbos",
  async workflows(url) {
    await launch(url, "bench-workflows", []);
    return {
      runTwentySteps: () => twentySteps(0),
      runThreeSteps: () => threeSteps(0),
      runNoSteps: () => noSteps(0),
      close,
    };
  },
  async enqueuer(url, concurrency, pollMs) {
    await launch(url, "bench-enqueuer", []);
    await DBOS.registerQueue(BACKLOG, {
      workerConcurrency: concurrency,
      minPollingIntervalMs: pollMs,
    });
    await DBOS.registerQueue(WARMUP_QUEUE);
    return {
      enqueue: (n) => DBOS.startWorkflow(queued, { queueName: BACKLOG })(n),
      enqueueWarmup: (n) => DBOS.startWorkflow(queued, { queueName: WARMUP_QUEUE })(n),
      close,
    };
  },
  async drainer(url) {
    // The queue and its limits were registered (persisted) by the enqueuer.
    await launch(url, "bench-drainer", [BACKLOG]);
    return { close };
  },
  backlogDone: `select count(*)::int as n, max(updated_at)::float8 as last_ms
    from dbos.workflow_status where queue_name = '${BACKLOG}' and status = 'SUCCESS'`,
  recovery: {
    async crash(url, count, parked) {
      parking = parked;
      await launch(url, RECOVERY_EXECUTOR, []);
      for (let i = 0; i < count; i++) await DBOS.startWorkflow(recovering)(i);
    },
    async recover(url) {
      parking = undefined;
      await launch(url, RECOVERY_EXECUTOR, []);
      return { close };
    },
    done: `select count(*)::int as n, max(updated_at)::float8 as last_ms
      from dbos.workflow_status where name = 'recovery' and status = 'SUCCESS'`,
  },
};
