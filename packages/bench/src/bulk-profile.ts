/**
 * Where a bulk start's and a bulk enqueue's time goes: `client.startMany`, `engine.startMany`
 * (the phase `engine`: to the last call resolving; `engine-all`: to the last workflow finished),
 * `client.startMany` for this process's engine (the phase `pickup`: written, announced, picked up
 * and run to the last finish) and `queue.enqueueMany`, 1,000 per call, one phase at a time, each
 * with the statements the driver sent, this process's CPU, the Postgres server's CPU (from /proc,
 * local server only), the statements the server executed (pg_stat_statements, where preloaded)
 * and, with `--cpu-prof DIR` / `--heap-prof DIR`, a V8 CPU profile / sampled allocation profile
 * of the phase alone. `--run-capacity N` sets the engine's bound on runs in memory. Prints one
 * JSON object. A measurement, not a test.
 */
import { randomBytes } from "node:crypto";
import { writeFile } from "node:fs/promises";
import { Session } from "node:inspector/promises";
import { loadavg } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { createClient, createEngine, workflow, type WorkflowHandle } from "@cairn/core";
import { createPgStore } from "@cairn/pg-store";
import { createPgQueueStore } from "@cairn/pg-store/queue";
import { createQueues, defineQueue } from "@cairn/queue";
import postgres from "postgres";
import { serverCpu, serverStatements } from "./pg-cpu.js";
import { createStatementCounter } from "./statement-counter.js";
import { perSecond } from "./stats.js";

const { values } = parseArgs({
  args: process.argv.slice(2).filter((arg) => arg !== "--"),
  options: {
    url: {
      type: "string",
      default: process.env["DATABASE_URL"] ?? "postgres://postgres@127.0.0.1:5432/test",
    },
    items: { type: "string", default: "10000" },
    batch: { type: "string", default: "1000" },
    phases: { type: "string", default: "client,engine,pickup,enqueue" },
    "cpu-prof": { type: "string" },
    "sample-us": { type: "string", default: "1000" },
    "heap-prof": { type: "string" },
    "run-capacity": { type: "string" },
  },
});
const items = Number(values.items);
const batch = Number(values.batch);
const phases = new Set(values.phases.split(","));
const profileDir = values["cpu-prof"];
const heapDir = values["heap-prof"];
const progress = (message: string) => process.stderr.write(`[bulk-profile] ${message}\n`);

const noStep = workflow("bench.bulk-started", async (_ctx, n: number) => Promise.resolve(n));

async function main() {
  const schema = `bprof_${randomBytes(4).toString("hex")}`;
  const statements = createStatementCounter(schema);
  const sql = postgres(values.url, {
    max: 10,
    onnotice: () => {},
    debug: (_connection, query) => statements.record(query),
  });
  const admin = postgres(values.url, { max: 1, onnotice: () => {} });
  const pgCpu = await serverCpu(admin);
  const serverStats = await serverStatements(admin);
  const store = createPgStore({ sql, schema });
  const queue = defineQueue("bench-bulk");
  const runCapacity = values["run-capacity"];
  const engine = createEngine({
    store,
    workflows: [noStep],
    ...(runCapacity === undefined ? {} : { runCapacity: Number(runCapacity) }),
    plugins: [createQueues({ store: createPgQueueStore(store), serve: [] })],
  });
  const client = createClient({ store: { ...store, close: () => Promise.resolve() } });
  const report: Record<string, unknown> = {
    date: new Date().toISOString(),
    loadAverageAtStart: loadavg().map((x) => Number(x.toFixed(2))),
    items,
    batch,
    runCapacity: runCapacity === undefined ? "default" : Number(runCapacity),
  };
  const batches = (prefix: string) =>
    Array.from({ length: Math.ceil(items / batch) }, (_, b) =>
      Array.from({ length: Math.min(batch, items - b * batch) }, (_, i) => ({
        input: b * batch + i,
        id: `${prefix}-${b * batch + i}`,
      })),
    );
  const phase = async (name: string, run: () => Promise<unknown>) => {
    progress(name);
    const mark = statements.mark();
    await serverStats.reset();
    const pg0 = await pgCpu();
    const cpu0 = process.cpuUsage();
    const session = profileDir === undefined && heapDir === undefined ? undefined : new Session();
    if (session) {
      session.connect();
      if (profileDir !== undefined) {
        await session.post("Profiler.enable");
        const interval = Number(values["sample-us"]);
        await session.post("Profiler.setSamplingInterval", { interval });
        await session.post("Profiler.start");
      }
      if (heapDir !== undefined) {
        // Every allocation sampled, collected or not: what the collector had to deal with.
        await session.post("HeapProfiler.startSampling", {
          samplingInterval: 4096,
          includeObjectsCollectedByMajorGC: true,
          includeObjectsCollectedByMinorGC: true,
        });
      }
    }
    const t0 = performance.now();
    const extra = await run();
    const ms = performance.now() - t0;
    const cpu = process.cpuUsage(cpu0); // before the profiles are written out
    if (session) {
      if (profileDir !== undefined) {
        const { profile } = await session.post("Profiler.stop");
        await writeFile(join(profileDir, `${name}.cpuprofile`), JSON.stringify(profile));
      }
      if (heapDir !== undefined) {
        const { profile } = await session.post("HeapProfiler.stopSampling");
        await writeFile(join(heapDir, `${name}.heapprofile`), JSON.stringify(profile));
      }
      session.disconnect();
    }
    const pg1 = await pgCpu();
    const sent = mark.read();
    report[name] = {
      ms: Math.round(ms),
      perSecond: perSecond(items, ms),
      nodeCpuMsPer1000: Number((((cpu.user + cpu.system) / 1000) * (1000 / items)).toFixed(1)),
      postgresCpuMsPer1000:
        pg0 === null || pg1 === null ? null : Number(((pg1 - pg0) * (1000 / items)).toFixed(1)),
      statementsPer1000: Number(((sent.total * 1000) / items).toFixed(2)),
      sentByText: sent.byText,
      serverStatements: await serverStats.read(4),
      ...(extra && typeof extra === "object" ? extra : {}),
    };
  };
  try {
    await engine.launch();
    const unregistered = { allowUnregistered: true };
    // Warm-up: statements prepared, code compiled.
    await client.startMany("bench.unserved", batches("warm-client")[0] ?? [], unregistered);
    await engine.waitAll(await engine.startMany(noStep, batches("warm-engine")[0] ?? []));
    await queue.enqueueMany(engine, noStep, batches("warm-queue")[0] ?? []);

    if (phases.has("client")) {
      const unserved = batches("client").map((b) =>
        b.map((item) => ({ ...item, executorId: "bench-nobody" })),
      );
      await phase("client", async () => {
        for (const b of unserved) await client.startMany("bench.unserved", b, unregistered);
      });
    }
    if (phases.has("engine")) {
      const handles: WorkflowHandle<number>[] = [];
      const engineBatches = batches("engine");
      const t0 = performance.now();
      await phase("engine", async () => {
        for (const b of engineBatches) handles.push(...(await engine.startMany(noStep, b)));
      });
      await engine.waitAll(handles, { timeoutMs: 600_000 });
      report["engineToLastFinishPerSecond"] = perSecond(items, performance.now() - t0);
    }
    if (phases.has("engine-all")) {
      // engine.startMany as above, measured (and profiled) to the last workflow finished.
      const engineBatches = batches("engine-all");
      await phase("engine-all", async () => {
        const handles: WorkflowHandle<number>[] = [];
        for (const b of engineBatches) handles.push(...(await engine.startMany(noStep, b)));
        await engine.waitAll(handles, { timeoutMs: 600_000 });
      });
    }
    if (phases.has("pickup")) {
      const served = batches("served").map((b) =>
        b.map((item) => ({ ...item, executorId: engine.executorId })),
      );
      await phase("pickup", async () => {
        const handles: WorkflowHandle<number>[] = [];
        for (const b of served)
          handles.push(...(await client.startMany<typeof noStep>(noStep.name, b)));
        await engine.waitAll(handles, { timeoutMs: 600_000 });
      });
    }
    if (phases.has("enqueue")) {
      const queued = batches("queued").map((b) => b.map(({ input }) => ({ input })));
      await phase("enqueue", async () => {
        for (const b of queued) await queue.enqueueMany(engine, noStep, b);
      });
    }
  } finally {
    await client.close();
    await engine.shutdown();
    await sql.end({ timeout: 5 });
    await admin`drop schema if exists ${admin(schema)} cascade`;
    await admin.end({ timeout: 5 });
  }
  console.log(JSON.stringify(report, null, 2));
}

await main();
