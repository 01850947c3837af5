/**
 * `pnpm --filter @cairn/bench profile-queues`: where a queue's time goes, phase by phase — the
 * queue scenarios of `queues.ts` measured one at a time with, for each phase, the statements the
 * driver sent (round trips, by text), the CPU this Node process used, the CPU the Postgres
 * server used (from /proc, for a local server), the statements the server executed
 * (pg_stat_statements, where the server preloads it) and, with `--cpu-prof DIR`, a V8 CPU profile
 * of the phase alone. It prints one JSON object. A measurement to read, not a test.
 *
 * Phases: `enqueue` (single enqueues, `--inflight` outstanding), `bulk` (`enqueueMany` in
 * batches of `--batch`, when the queue API has it), `drain` (an engine serving the backlog of
 * `enqueue` with workerConcurrency 50 launches and runs it to the end), `latency` (enqueue→start
 * on an idle queue, one at a time). `--worker-concurrency N` (default 50) sets the drain's.
 */
import { randomBytes } from "node:crypto";
import { writeFile } from "node:fs/promises";
import { Session } from "node:inspector/promises";
import { loadavg } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { createEngine, workflow, type Engine } from "@cairn/core";
import { createPgStore } from "@cairn/pg-store";
import { createPgQueueStore } from "@cairn/pg-store/queue";
import { createQueues, defineQueue, type Queue } from "@cairn/queue";
import postgres from "postgres";
import { slidingWindow } from "./measure.js";
import { serverCpu, serverStatements } from "./pg-cpu.js";
import { createStatementCounter } from "./statement-counter.js";
import { distribution, perSecond } from "./stats.js";

const { values } = parseArgs({
  args: process.argv.slice(2).filter((arg) => arg !== "--"),
  options: {
    url: {
      type: "string",
      default: process.env["DATABASE_URL"] ?? "postgres://postgres@127.0.0.1:5432/test",
    },
    items: { type: "string", default: "5000" },
    inflight: { type: "string", default: "100" },
    batch: { type: "string", default: "1000" },
    latency: { type: "string", default: "200" },
    phases: { type: "string", default: "enqueue,bulk,drain,latency" },
    "worker-concurrency": { type: "string", default: "50" },
    "cpu-prof": { type: "string" },
  },
});
const url = values.url;
const items = Number(values.items);
const inflight = Number(values.inflight);
const batch = Number(values.batch);
const latencySamples = Number(values.latency);
const phases = new Set(values.phases.split(","));
const profileDir = values["cpu-prof"];
const WORKER_CONCURRENCY = Number(values["worker-concurrency"]);

const progress = (message: string) => process.stderr.write(`[profile] ${message}\n`);

async function main() {
  const schema = `qprof_${randomBytes(4).toString("hex")}`;
  const statements = createStatementCounter(schema);
  const clients: postgres.Sql[] = [];
  const client = (max: number) => {
    const sql = postgres(url, {
      max,
      onnotice: () => {},
      debug: (_connection, query) => statements.record(query),
    });
    clients.push(sql);
    return sql;
  };
  const admin = postgres(url, { max: 1, onnotice: () => {} });
  const pgCpu = await serverCpu(admin);
  const serverStats = await serverStatements(admin);
  let ran = 0;
  let finished = 0;
  let started: ((at: number) => void) | undefined;
  let allFinished: (() => void) | undefined;
  const trivial = workflow("bench.queued", async (_ctx, n: number) => {
    ran++;
    started?.(performance.now());
    return n;
  });
  const backlog = defineQueue("bench-backlog", {
    workerConcurrency: WORKER_CONCURRENCY,
  });
  const bulk = defineQueue("bench-bulk");
  const idle = defineQueue("bench-idle");
  const warm = defineQueue("bench-warm");
  const engineOn = (serve: readonly Queue[], executorId: string) => {
    const store = createPgStore({ sql: client(10), schema });
    return createEngine({
      store,
      workflows: [trivial],
      executorId,
      observers: [
        {
          onEvent: (event) => {
            if (event.type !== "workflow.finished" || event.run.queueName !== backlog.name) return;
            finished++;
            if (finished >= items) allFinished?.();
          },
        },
      ],
      plugins: [createQueues({ store: createPgQueueStore(store), serve })],
    });
  };

  const report: Record<string, unknown> = {
    date: new Date().toISOString(),
    loadAverageAtStart: loadavg().map((x) => Number(x.toFixed(2))),
    items,
    inflight,
  };
  const phase = async (name: string, perItem: number, run: () => Promise<unknown>) => {
    progress(name);
    const mark = statements.mark();
    await serverStats.reset();
    const pg0 = await pgCpu();
    const cpu0 = process.cpuUsage();
    const session = profileDir === undefined ? undefined : new Session();
    if (session) {
      session.connect();
      await session.post("Profiler.enable");
      await session.post("Profiler.start");
    }
    const t0 = performance.now();
    const extra = await run();
    const ms = performance.now() - t0;
    if (session && profileDir !== undefined) {
      const { profile } = await session.post("Profiler.stop");
      await writeFile(join(profileDir, `${name}.cpuprofile`), JSON.stringify(profile));
      session.disconnect();
    }
    const cpu = process.cpuUsage(cpu0);
    const pg1 = await pgCpu();
    const sent = mark.read();
    const top = Object.entries(sent.byText)
      .sort((a, b) => b[1] - a[1])
      .slice(0, 8);
    report[name] = {
      ms: Math.round(ms),
      perSecond: perSecond(perItem, ms),
      nodeCpuMs: Math.round((cpu.user + cpu.system) / 1000),
      postgresCpuMs: pg0 === null || pg1 === null ? null : Math.round(pg1 - pg0),
      statementsSent: sent.total,
      statementsPerItem: Number((sent.total / perItem).toFixed(3)),
      sentByText: Object.fromEntries(top),
      serverStatements: await serverStats.read(),
      ...(extra && typeof extra === "object" && !Array.isArray(extra) ? extra : {}),
    };
  };

  const enqueuer = engineOn([], "profile-enqueuer");
  let server: Engine | undefined;
  try {
    await enqueuer.launch();
    // Warm the enqueue statement on the enqueuer's connections.
    await slidingWindow(200, inflight, (n) => warm.enqueue(enqueuer, trivial, n));

    if (phases.has("enqueue") || phases.has("drain")) {
      await phase("enqueue", items, () =>
        slidingWindow(items, inflight, (n) => backlog.enqueue(enqueuer, trivial, n)),
      );
    }
    if (phases.has("bulk")) {
      // Run against an older build (to compare before and after), the queue has no enqueueMany.
      if (typeof (bulk as Partial<Queue>).enqueueMany !== "function") {
        report["bulk"] = "enqueueMany is not in this build";
      } else {
        const inputs = Array.from({ length: items }, (_, input) => ({ input }));
        await phase("bulk", items, async () => {
          for (let i = 0; i < items; i += batch) {
            await bulk.enqueueMany(enqueuer, trivial, inputs.slice(i, i + batch));
          }
        });
      }
    }
    server = engineOn([backlog, idle], "profile-server");
    if (phases.has("drain")) {
      const done = new Promise<void>((resolve) => (allFinished = resolve));
      const s = server;
      await phase("drain", items, async () => {
        await s.launch();
        await done;
      });
      if (ran < items) throw new Error(`only ${ran} of ${items} ran`);
    } else {
      await server.launch();
    }
    if (phases.has("latency")) {
      const samples: number[] = [];
      const warmup = Math.max(10, Math.round(latencySamples / 10));
      await phase("latency", warmup + latencySamples, async () => {
        for (let i = 0; i < warmup + latencySamples; i++) {
          const start = new Promise<number>((resolve) => (started = resolve));
          const calling = performance.now();
          const handle = await idle.enqueue(enqueuer, trivial, i);
          const at = await start;
          started = undefined;
          await handle.result();
          if (i >= warmup) samples.push(at - calling);
        }
        return { enqueueToStartMs: distribution(samples) };
      });
    }
  } finally {
    await server?.shutdown();
    await enqueuer.shutdown();
    await Promise.all(clients.map((sql) => sql.end({ timeout: 5 })));
    await admin`drop schema if exists ${admin(schema)} cascade`;
    await admin.end({ timeout: 5 });
  }
  console.log(JSON.stringify(report, null, 2));
}

await main();
