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
 * `claims` (not in the defaults): the claim alone, without runs — `--items` items enqueued in
 * bulk, then claimed `--claim-batch` (default 50) at a time on one connection, each claim writing
 * the previous one's outcomes, with that one backend's CPU (from /proc) per claim and per item:
 * what a claim costs Postgres and Node, apart from the workflows it starts.
 */
import { randomBytes } from "node:crypto";
import { readFile, writeFile } from "node:fs/promises";
import { Session } from "node:inspector/promises";
import { loadavg } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { createEngine, workflow, type Engine } from "@cairn/core";
import { createPgStore } from "@cairn/pg-store";
import { createPgQueueStore } from "@cairn/pg-store/queue";
import {
  createQueues,
  defineQueue,
  type ClaimFinish,
  type Queue,
  type QueueStore,
} from "@cairn/queue";
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
    "claim-batch": { type: "string", default: "50" },
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
const claimBatch = Number(values["claim-batch"]);

/** The executor of the `claims` phase (never registered: nothing gone to put back). */
const CLAIMER = "profile-claimer";

/** A claim of the `claims` phase: up to `max`, writing `finishes`. */
function claimRequest(queueName: string, max: number, finishes: ClaimFinish[]) {
  return {
    queueName,
    executorId: CLAIMER,
    appVersion: undefined,
    excludeNames: [],
    limits: {},
    partitioned: false,
    max,
    ...(finishes.length > 0 ? { finishes } : {}),
  };
}

/** A client of one connection (its statements counted), and its backend's process ID. */
async function claimingConnection(record: (query: string) => void) {
  const sql = postgres(url, { max: 1, onnotice: () => {}, debug: (_c, query) => record(query) });
  const [row] = await sql<{ pid: number }[]>`select pg_backend_pid() as pid`;
  return { pid: row?.pid ?? 0, sql };
}

/** CPU used so far by the backend `pid` (a local server), ms; NaN when /proc cannot tell. */
async function backendCpuMs(pid: number): Promise<number> {
  try {
    const stat = await readFile(`/proc/${pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100; // utime + stime, USER_HZ
  } catch {
    return Number.NaN;
  }
}

/**
 * The drain's claims as they happen: how many, how many workflows each took, the share of the
 * time with a claim in flight, and this process's CPU and event-loop time within and outside
 * those flights — whether Node runs workflows while Postgres claims, or the two take turns —
 * and the medians of a claim's time (call to answer, decoded) and of the time from a claim's
 * answer to its queue's next claim: the Node work each claim of a drain waits for.
 */
function claimFlights() {
  const cpuMs = () => {
    const { user, system } = process.cpuUsage();
    return (user + system) / 1000;
  };
  let tally = { claims: 0, claimed: 0, flightMs: 0, busyInFlightMs: 0, cpuIn: 0, cpuOut: 0 };
  let inFlight = 0;
  let since = 0;
  let cpuMark = cpuMs();
  let elu = performance.eventLoopUtilization();
  let claimMs: number[] = [];
  let answerToNextMs: number[] = [];
  /** When each queue's latest claim answered. */
  const answeredAt = new Map<string, number>();
  /** Adds the CPU since the last mark to the side it was spent on. */
  const cpuTo = (side: "cpuIn" | "cpuOut") => {
    const now = cpuMs();
    tally[side] += now - cpuMark;
    cpuMark = now;
  };
  const wrap = (store: QueueStore): QueueStore => ({
    ...store,
    claim: async (request) => {
      const calledAt = performance.now();
      const previous = answeredAt.get(request.queueName);
      if (previous !== undefined) answerToNextMs.push(calledAt - previous);
      if (inFlight++ === 0) {
        cpuTo("cpuOut");
        since = performance.now();
        elu = performance.eventLoopUtilization();
      }
      try {
        const result = await store.claim(request);
        const now = performance.now();
        claimMs.push(now - calledAt);
        // Only a claim that took work is followed by the runs' outcomes and the next claim.
        if (result.claimed.length > 0) answeredAt.set(request.queueName, now);
        else answeredAt.delete(request.queueName);
        tally.claims++;
        tally.claimed += result.claimed.length;
        return result;
      } finally {
        if (--inFlight === 0) {
          cpuTo("cpuIn");
          tally.flightMs += performance.now() - since;
          tally.busyInFlightMs += performance.eventLoopUtilization(elu).active;
        }
      }
    },
  });
  /** Starts counting afresh; `read` reports what was counted since, over `wallMs`. */
  const reset = () => {
    tally = { claims: 0, claimed: 0, flightMs: 0, busyInFlightMs: 0, cpuIn: 0, cpuOut: 0 };
    cpuMark = cpuMs();
    claimMs = [];
    answerToNextMs = [];
    answeredAt.clear();
  };
  const median = (xs: number[]) =>
    Number(([...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? Number.NaN).toFixed(2));
  const read = (wallMs: number, busyMs: number) => {
    cpuTo(inFlight > 0 ? "cpuIn" : "cpuOut");
    return {
      claims: tally.claims,
      itemsPerClaim: Number((tally.claimed / Math.max(1, tally.claims)).toFixed(1)),
      claimInFlightShare: Number((tally.flightMs / wallMs).toFixed(3)),
      nodeBusyShare: Number((busyMs / wallMs).toFixed(3)),
      nodeBusyWhileClaimingShare: Number((tally.busyInFlightMs / wallMs).toFixed(3)),
      nodeCpuMsWhileClaiming: Math.round(tally.cpuIn),
      nodeCpuMsOtherwise: Math.round(tally.cpuOut),
      claimMsMedian: median(claimMs),
      answerToNextClaimMsMedian: median(answerToNextMs),
    };
  };
  return { wrap, reset, read };
}
const flights = claimFlights();

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
      plugins: [createQueues({ store: flights.wrap(createPgQueueStore(store)), serve })],
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
      nodeSystemCpuMs: Math.round(cpu.system / 1000),
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
    if (phases.has("claims")) {
      const { pid, sql } = await claimingConnection((query) => statements.record(query));
      const claimer = createPgQueueStore(createPgStore({ sql, schema }));
      const loop = defineQueue("bench-claims");
      const inputs = Array.from({ length: items }, (_, input) => ({ input }));
      for (let i = 0; i < items; i += batch) {
        await loop.enqueueMany(enqueuer, trivial, inputs.slice(i, i + batch));
      }
      await claimer.claim(claimRequest(loop.name, 0, [])); // its plan, made once per connection
      await phase("claims", items, async () => {
        const backend0 = await backendCpuMs(pid);
        let finishes: ClaimFinish[] = [];
        let claims = 0;
        for (;;) {
          const { claimed } = await claimer.claim(claimRequest(loop.name, claimBatch, finishes));
          claims++;
          finishes = claimed.map(({ workflowId, ownerEpoch }) => ({
            outcome: { workflowId, executorId: CLAIMER, status: "SUCCESS", output: "1" },
            fence: { executorId: CLAIMER, epoch: ownerEpoch },
          }));
          if (claimed.length === 0) break;
        }
        const backendMs = (await backendCpuMs(pid)) - backend0;
        return {
          claims,
          backendCpuMsPerClaim: Number((backendMs / claims).toFixed(2)),
          backendCpuUsPerItem: Math.round((backendMs * 1000) / items),
        };
      });
      await sql.end({ timeout: 5 });
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
        flights.reset();
        const elu0 = performance.eventLoopUtilization();
        const t0 = performance.now();
        await s.launch();
        await done;
        const busy = performance.eventLoopUtilization(elu0).active;
        return { claims: flights.read(performance.now() - t0, busy) };
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
