/**
 * `pnpm --filter @cairn/bench profile-latency`: splits the bench's two wake-up latencies into
 * their parts, per sample, from store calls and notifications timed in this process
 * (performance.now()), with the same shapes as the bench's scenarios (e) and (f4):
 *
 * - send→recv: a client sends one ping at a time to a workflow parked in `recv`. Parts: the
 *   send's statement (its round trip and commit), the notification's arrival at the receiving
 *   engine's LISTEN connection (from the send's call), the engine's wake path (notification →
 *   the consume statement sent), the consume (the recv's one durable write: the message taken
 *   and its checkpoint) and the return to the body.
 * - enqueue→start: one engine enqueues on an idle queue another engine serves, one at a time,
 *   each after the previous one finished. Parts: the enqueue statement, the notification's
 *   arrival at the serving engine, its wake path (notification → claim sent), the claim's round
 *   trip and commit, the run's start (claim answered → body).
 *
 * Before each sample, two one-row autocommit inserts in a row on a connection of their own give
 * the commit floor of the same moments (`floor.oneCommitMs`, `floor.twoCommitsMs`: each path is
 * two commits in a row): on a shared machine, read the parts against it, not the absolute figures.
 * `claimBusyAtNotify` lists the samples whose notification found a claim of the serving engine
 * in flight (a poll's, or a finish's): its claim waited for that one. Prints JSON: per part its
 * median, p90, p99 and max, and the parts of the five slowest samples.
 */
import { randomBytes } from "node:crypto";
import { loadavg } from "node:os";
import { parseArgs } from "node:util";
import {
  createClient,
  createEngine,
  workflow,
  type StoreNotification,
  type WorkflowStore,
} from "@cairn/core";
import { createPgStore, type PgStore } from "@cairn/pg-store";
import { createPgQueueStore } from "@cairn/pg-store/queue";
import { createQueues, defineQueue, type QueueStore } from "@cairn/queue";
import postgres from "postgres";

const USAGE = `usage: pnpm --filter @cairn/bench profile-latency [-- options]
  --samples N        samples of each latency (default 300; a tenth more as warm-up)
  --only S           wakeup or queue (default both)
  --drain N          first drain N items of a second queue the serving engine also serves, as the
                     bench's queue scenario does before its latency phase (default 0)
  --poll-ms N        the engines', client's and queues' pollIntervalMs (default theirs, 1,000)
  --sync-commit off  diagnostic only: the stores' sessions commit without waiting for the WAL
                     flush, to tell the flush's share of a tail from the rest
  --url URL          Postgres server (default DATABASE_URL, then postgres://postgres@127.0.0.1:5432/test)`;

const progress = (message: string) => process.stderr.write(`[latency] ${message}\n`);

function percentile(sorted: readonly number[], p: number): number {
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1));
  return sorted[rank] ?? Number.NaN;
}
const r3 = (x: number) => Number(x.toFixed(3));
function spread(samples: readonly number[]) {
  const sorted = [...samples].sort((a, b) => a - b);
  return {
    median: r3(percentile(sorted, 0.5)),
    p90: r3(percentile(sorted, 0.9)),
    p99: r3(percentile(sorted, 0.99)),
    max: r3(sorted[sorted.length - 1] ?? Number.NaN),
  };
}

/** Per part, the distribution; and the parts of the slowest samples (what their tail was). */
function breakdown(rows: readonly Record<string, number>[], total: string, worst = 5) {
  const keys = Object.keys(rows[0] ?? {});
  const parts = Object.fromEntries(keys.map((k) => [k, spread(rows.map((row) => row[k] ?? 0))]));
  const slowest = [...rows]
    .sort((a, b) => (b[total] ?? 0) - (a[total] ?? 0))
    .slice(0, worst)
    .map((row) => Object.fromEntries(Object.entries(row).map(([k, v]) => [k, r3(v)])));
  return { parts, slowest };
}

/** This process's CPU (user + system) per sample: the sending and the woken side together. */
const cpuPerSample = (cpu: NodeJS.CpuUsage, samples: number) =>
  r3((cpu.user + cpu.system) / 1000 / samples);

interface Options {
  url: string;
  samples: number;
  only: string | undefined;
  syncCommit: "on" | "off";
  drain: number;
  pollMs: number | undefined;
}

const polls = (options: Options) =>
  options.pollMs === undefined ? {} : { pollIntervalMs: options.pollMs };

/**
 * Two one-row autocommit inserts in a row on the floor's connection, each timed: what two
 * commits one after the other cost at that moment (each path below is two commits in a row).
 */
async function floorSample(sql: postgres.Sql, schema: string, i: number): Promise<number[]> {
  const times: number[] = [];
  for (const id of [2 * i, 2 * i + 1]) {
    const started = performance.now();
    await sql`insert into ${sql(schema)}.latency_floor values (${id}, ${"[1]"})`;
    times.push(performance.now() - started);
  }
  return times;
}

/** The floor's figures: one commit, and two in a row. */
const floorOf = (floor: readonly number[][]) => ({
  oneCommitMs: spread(floor.map(([a = 0]) => a)),
  twoCommitsMs: spread(floor.map(([a = 0, b = 0]) => a + b)),
});

/** Opens stores the way the bench's `another()` does (max 2), optionally without fsync waits. */
function opener(options: Options, schema: string) {
  const clients: postgres.Sql[] = [];
  return {
    open(): PgStore {
      if (options.syncCommit === "on") return createPgStore({ url: options.url, schema, max: 2 });
      const sql = postgres(options.url, {
        max: 2,
        onnotice: () => {},
        connection: { synchronous_commit: "off" },
      });
      clients.push(sql);
      return createPgStore({ sql, schema });
    },
    async close() {
      for (const sql of clients) await sql.end({ timeout: 1 });
    },
  };
}

async function profileWakeup(options: Options, schema: string, floorSql: postgres.Sql) {
  const t = {
    parked: undefined as (() => void) | undefined,
    notified: Number.NaN,
    consumeSent: Number.NaN,
    consumeDone: Number.NaN,
    received: undefined as ((at: number) => void) | undefined,
  };
  const echo = workflow("latency.wakeup", async (ctx, count: number) => {
    for (let i = 0; i < count; i++) {
      await ctx.recv("ping");
      t.received?.(performance.now());
    }
  });
  const stores = opener(options, schema);
  const base = stores.open();
  const traced: WorkflowStore = {
    ...base,
    async consumeMessage(topic, step, fence) {
      const sent = performance.now();
      const consumed = await base.consumeMessage(topic, step, fence);
      if (consumed) {
        t.consumeSent = sent;
        t.consumeDone = performance.now();
      } else setImmediate(() => t.parked?.());
      return consumed;
    },
    subscribe: (listener: (n: StoreNotification) => void) =>
      base.subscribe((n) => {
        if (n.kind === "message") t.notified = performance.now();
        listener(n);
      }),
  };
  const engine = createEngine({
    store: traced,
    workflows: [echo],
    executorId: "latency-wakeup",
    ...polls(options),
  });
  const client = createClient({ store: stores.open(), ...polls(options) });
  const warmup = Math.max(10, Math.round(options.samples / 10));
  const rows: Record<string, number>[] = [];
  const floor: number[][] = [];
  let cpu = process.cpuUsage();
  try {
    await engine.launch();
    const next = (key: "parked" | "received") =>
      new Promise<number>((resolve) => {
        const call = (at: number = performance.now()) => {
          t[key] = undefined;
          resolve(at);
        };
        t[key] = call;
      });
    let parked = next("parked");
    const handle = await engine.start(echo, warmup + options.samples);
    for (let i = 0; i < warmup + options.samples; i++) {
      await parked;
      if (i === warmup) cpu = process.cpuUsage();
      floor.push(await floorSample(floorSql, schema, i + 1_000_000));
      const received = next("received");
      parked = next("parked");
      t.notified = t.consumeSent = t.consumeDone = Number.NaN;
      const sending = performance.now();
      await client.send(handle.workflowId, "ping", i);
      const committed = performance.now();
      const at = await received;
      if (i < warmup) continue;
      rows.push({
        total: at - sending,
        commitToRecv: at - committed,
        send: committed - sending,
        sendToNotified: t.notified - sending,
        notifiedAfterCommit: t.notified - committed,
        wakePath: t.consumeSent - t.notified,
        consume: t.consumeDone - t.consumeSent,
        toBody: at - t.consumeDone,
      });
    }
    cpu = process.cpuUsage(cpu);
    await handle.result();
  } finally {
    await client.close();
    await engine.shutdown();
    await stores.close();
  }
  return {
    ...breakdown(rows, "total"),
    nodeCpuPerSampleMs: cpuPerSample(cpu, options.samples),
    floor: floorOf(floor),
  };
}

async function profileQueue(options: Options, schema: string, floorSql: postgres.Sql) {
  const t = {
    enqueueSent: Number.NaN,
    enqueueDone: Number.NaN,
    notified: Number.NaN,
    claimSent: Number.NaN,
    claimDone: Number.NaN,
    started: undefined as ((at: number) => void) | undefined,
    claims: 0,
    claimsInFlight: 0,
    claimsInFlightAtNotify: 0,
  };
  const trivial = workflow("latency.queued", async (_ctx, n: number) => {
    t.started?.(performance.now());
    return n;
  });
  const idle = defineQueue("latency-idle");
  const backlog = defineQueue("latency-backlog", { workerConcurrency: 50 });
  const stores = opener(options, schema);
  const tracedQueue = (store: PgStore): QueueStore => {
    const q = createPgQueueStore(store);
    return {
      ...q,
      async enqueue(item, o) {
        t.enqueueSent = performance.now();
        const result = await q.enqueue(item, o);
        t.enqueueDone = performance.now();
        return result;
      },
      async claim(request) {
        const sent = performance.now();
        t.claimsInFlight++;
        const result = await q.claim(request).finally(() => t.claimsInFlight--);
        if (result.claimed.length > 0) {
          t.claimSent = sent;
          t.claimDone = performance.now();
        }
        t.claims++;
        return result;
      },
      subscribe: (listener) =>
        q.subscribe((name) => {
          if (Number.isNaN(t.notified)) {
            t.notified = performance.now();
            t.claimsInFlightAtNotify = t.claimsInFlight;
          }
          listener(name);
        }),
    };
  };
  const engineOn = (serve: (typeof idle)[], executorId: string) => {
    const store = stores.open();
    return createEngine({
      store,
      workflows: [trivial],
      executorId,
      ...polls(options),
      plugins: [createQueues({ store: tracedQueue(store), serve, ...polls(options) })],
    });
  };
  const enqueuer = engineOn([], "latency-enqueuer");
  const server = engineOn(options.drain > 0 ? [backlog, idle] : [idle], "latency-server");
  const warmup = Math.max(10, Math.round(options.samples / 10));
  const rows: Record<string, number>[] = [];
  const floor: number[][] = [];
  let claimsPerItem = 0;
  let cpu = process.cpuUsage();
  try {
    await enqueuer.launch();
    if (options.drain > 0) {
      // As the bench does before measuring: a backlog drained by the serving engine.
      progress(`draining ${options.drain}`);
      for (let i = 0; i < options.drain; i += 100) {
        await Promise.all(
          Array.from({ length: Math.min(100, options.drain - i) }, (_, k) =>
            backlog.enqueue(enqueuer, trivial, i + k),
          ),
        );
      }
      await server.launch();
      while ((await backlog.counts(enqueuer)).SUCCESS < options.drain) {
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    } else await server.launch();
    for (let i = 0; i < warmup + options.samples; i++) {
      if (i === warmup) cpu = process.cpuUsage();
      floor.push(await floorSample(floorSql, schema, i + 2_000_000));
      const start = new Promise<number>((resolve) => (t.started = resolve));
      t.notified = t.claimSent = t.claimDone = Number.NaN;
      const claimsBefore = t.claims;
      const calling = performance.now();
      const handle = await idle.enqueue(enqueuer, trivial, i);
      const committed = performance.now();
      const at = await start;
      t.started = undefined;
      await handle.result();
      if (i < warmup) continue;
      claimsPerItem += t.claims - claimsBefore;
      rows.push({
        total: at - calling,
        commitToStart: at - committed,
        beforeStatement: t.enqueueSent - calling,
        enqueue: t.enqueueDone - t.enqueueSent,
        afterStatement: committed - t.enqueueDone,
        callToNotified: t.notified - calling,
        notifiedAfterCommit: t.notified - committed,
        wakePath: t.claimSent - t.notified,
        claim: t.claimDone - t.claimSent,
        toBody: at - t.claimDone,
        claimBusyAtNotify: t.claimsInFlightAtNotify,
      });
    }
    cpu = process.cpuUsage(cpu);
  } finally {
    await server.shutdown();
    await enqueuer.shutdown();
    await stores.close();
  }
  const busy = rows.filter((row) => (row["claimBusyAtNotify"] ?? 0) > 0);
  return {
    ...breakdown(rows, "total"),
    claimBusyAtNotify: busy.map((row) =>
      Object.fromEntries(Object.entries(row).map(([k, v]) => [k, r3(v)])),
    ),
    claimsPerItem: r3(claimsPerItem / options.samples),
    nodeCpuPerSampleMs: cpuPerSample(cpu, options.samples),
    floor: floorOf(floor),
  };
}

async function main() {
  const { values } = parseArgs({
    options: {
      samples: { type: "string" },
      only: { type: "string" },
      url: { type: "string" },
      "sync-commit": { type: "string" },
      drain: { type: "string" },
      "poll-ms": { type: "string" },
      help: { type: "boolean" },
    },
  });
  if (values.help) {
    console.log(USAGE);
    return;
  }
  const options: Options = {
    url: values.url ?? process.env["DATABASE_URL"] ?? "postgres://postgres@127.0.0.1:5432/test",
    samples: Number(values.samples ?? 300),
    only: values.only,
    syncCommit: values["sync-commit"] === "off" ? "off" : "on",
    drain: Number(values.drain ?? 0),
    pollMs: values["poll-ms"] === undefined ? undefined : Number(values["poll-ms"]),
  };
  const schema = `latency_${randomBytes(4).toString("hex")}`;
  const admin = postgres(options.url, { max: 1, onnotice: () => {} });
  const migrating = createPgStore({ url: options.url, schema, max: 1 });
  await migrating.migrate();
  await migrating.close();
  await admin.unsafe(
    `create table "${schema}".latency_floor (id int primary key, data text not null)`,
  );
  const loadBefore = loadavg()[0];
  try {
    const report: Record<string, unknown> = {
      samples: options.samples,
      syncCommit: options.syncCommit,
      pollMs: options.pollMs,
    };
    if (options.only !== "queue") {
      progress("send→recv");
      report["sendToRecv"] = await profileWakeup(options, schema, admin);
    }
    if (options.only !== "wakeup") {
      progress("enqueue→start");
      report["enqueueToStart"] = await profileQueue(options, schema, admin);
    }
    report["load1"] = [loadBefore, loadavg()[0]].map((x) => r3(x ?? 0));
    console.log(JSON.stringify(report, null, 2));
  } finally {
    await admin.unsafe(`drop schema if exists "${schema}" cascade`);
    await admin.end({ timeout: 5 });
  }
}

await main();
