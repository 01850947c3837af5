/**
 * One chaos run, start to verdict: a Postgres cluster of its own, N worker processes, a client
 * starting workflows at a steady pace, and for a fixed time random SIGKILLs (with restarts),
 * SIGSTOP/SIGCONT pauses, and server restarts; then every worker comes back, the run drains, the
 * workers shut down, and the audit checks the tables. The cluster and every process are gone when
 * it returns or throws. It prints nothing itself (see `chaos.ts`); `log` receives progress lines.
 */
import { setTimeout as sleep } from "node:timers/promises";
import { createClient, type Logger } from "@cairn/core";
import { createPgStore } from "@cairn/pg-store";
import postgres from "postgres";
import { audit, type AuditReport } from "./audit.js";
import { installAudit } from "./audit-schema.js";
import { startCluster, type Cluster } from "./cluster.js";
import { WorkerPool, type PoolEvent } from "./worker-pool.js";
import { CHAOS_WORKFLOW } from "./workflow.js";

/** Options of {@link runChaos}. */
export interface ChaosOptions {
  /** Worker processes. Default 4. */
  readonly workers?: number;
  /** Workflows started (five steps and a transaction each). Default 2,000. */
  readonly workflows?: number;
  /** How long the chaos lasts, in seconds. Default 30. */
  readonly seconds?: number;
  /** Server restarts during the chaos (at least 1). Default: 1, or 2 from 20 s on. */
  readonly pgRestarts?: number;
  /** The workers' lease. Default 1,500 ms. */
  readonly leaseMs?: number;
  /** Each step body waits up to this long before and after its effect. Default 60 ms. */
  readonly stepDelayMs?: number;
  /** Seed of the random choices (victims, timings). Default: random, reported. */
  readonly seed?: number;
  /** First port to try for the cluster. Default 5544. */
  readonly port?: number;
  /** How long to wait for the drain after the chaos. Default 120,000 ms. */
  readonly drainTimeoutMs?: number;
  /** Progress lines. */
  readonly log?: (line: string) => void;
}

/** What a run did and found. */
export interface ChaosReport {
  readonly ok: boolean;
  readonly options: Required<Omit<ChaosOptions, "log" | "port">> & { readonly port: number };
  readonly timeline: {
    readonly kills: number;
    readonly sameIdRestarts: number;
    readonly pauses: number;
    readonly pgRestartsMs: readonly number[];
    readonly chaosMs: number;
    readonly drainMs: number;
  };
  /** Finished workflows per second, first created to last finished (paced by the starter). */
  readonly workflowsPerSecond: number;
  readonly audit: AuditReport;
  /** What the workers logged, by kind, with counts. */
  readonly workerLogs: Readonly<Record<string, number>>;
}

const quiet: Logger = { debug() {}, info() {}, warn() {}, error() {} };

/** Runs the chaos and audits it. Rejects only if the run could not be carried out at all. */
export async function runChaos(options: ChaosOptions = {}): Promise<ChaosReport> {
  const o = {
    workers: options.workers ?? 4,
    workflows: options.workflows ?? 2_000,
    seconds: options.seconds ?? 30,
    pgRestarts: Math.max(1, options.pgRestarts ?? ((options.seconds ?? 30) >= 20 ? 2 : 1)),
    leaseMs: options.leaseMs ?? 1_500,
    stepDelayMs: options.stepDelayMs ?? 60,
    seed: options.seed ?? Math.floor(Math.random() * 2 ** 31),
    drainTimeoutMs: options.drainTimeoutMs ?? 120_000,
  };
  if (o.workers < 2) throw new Error("the chaos run needs at least 2 workers");
  const log = options.log ?? (() => undefined);
  const cluster = await startCluster({ port: options.port ?? 5544 });
  log(`cluster up at ${cluster.url} (seed ${o.seed})`);
  const pool = new WorkerPool(
    { url: cluster.url, leaseMs: o.leaseMs, pollIntervalMs: 500, stepDelayMs: o.stepDelayMs },
    o.workers,
    "chaos-stable",
  );
  const admin = postgres(cluster.url, { max: 3, onnotice: () => undefined, connect_timeout: 5 });
  const clientStore = createPgStore({ url: cluster.url, max: 6 });
  try {
    await prepare(cluster, admin);
    await Promise.all(Array.from({ length: o.workers }, (_, slot) => pool.start(slot)));
    log(`${o.workers} workers launched`);
    const client = createClient({ store: clientStore, logger: quiet });
    const chaosStart = Date.now();
    const starting = startWorkflows(client, o.workflows, o.seconds * 700);
    const timeline = await unleash(pool, cluster, o, log);
    const chaosMs = Date.now() - chaosStart;
    await pool.reviveAll();
    await starting;
    log(`chaos over after ${chaosMs} ms; draining`);
    const drainStart = Date.now();
    await drain(admin, o.workflows, o.drainTimeoutMs, log);
    const drainMs = Date.now() - drainStart;
    await client.close();
    await pool.stopAll(10_000);
    const report = await audit(admin, o.workflows, pool.events);
    return {
      ok: report.checks.every((c) => c.ok),
      options: { ...o, port: cluster.port },
      timeline: { ...timeline, chaosMs, drainMs },
      workflowsPerSecond: report.spanMs > 0 ? (o.workflows / report.spanMs) * 1000 : 0,
      audit: report,
      workerLogs: Object.fromEntries([...pool.logTally].sort((a, b) => b[1] - a[1])),
    };
  } finally {
    await pool.killAll();
    await clientStore.close().catch(() => undefined);
    await admin.end({ timeout: 1 }).catch(() => undefined);
    await cluster.destroy();
  }
}

/** Cairn's schema (run its migrations once, as any engine would), then the audit schema. */
async function prepare(cluster: Cluster, admin: postgres.Sql): Promise<void> {
  const store = createPgStore({ url: cluster.url, max: 1 });
  try {
    await store.migrate();
  } finally {
    await store.close();
  }
  await installAudit(admin);
}

/** Starts `wf-0`…`wf-<count-1>` spread evenly over `overMs`, retrying each through outages. */
async function startWorkflows(
  client: ReturnType<typeof createClient>,
  count: number,
  overMs: number,
): Promise<void> {
  const startOne = async (n: number) => {
    for (let attempt = 1; ; attempt++) {
      try {
        await client.start(CHAOS_WORKFLOW, { n }, { id: `wf-${n}` });
        return;
      } catch (error) {
        if (attempt > 600) throw error;
        await sleep(200);
      }
    }
  };
  const began = Date.now();
  const inFlight: Promise<void>[] = [];
  for (let next = 0; next < count;) {
    const due = Math.min(count, Math.floor(((Date.now() - began) / overMs) * count) + 1);
    for (; next < due; next++) inFlight.push(startOne(next));
    await sleep(20);
  }
  await Promise.all(inFlight);
}

/** The chaos itself: random kills and pauses, server restarts at fixed fractions of the time. */
async function unleash(
  pool: WorkerPool,
  cluster: Cluster,
  o: { seconds: number; leaseMs: number; pgRestarts: number; seed: number },
  log: (line: string) => void,
) {
  const random = mulberry32(o.seed);
  const pick = <T>(items: readonly T[]): T | undefined =>
    items[Math.floor(random() * items.length)];
  const began = Date.now();
  const end = began + o.seconds * 1000;
  const restartAt = Array.from(
    { length: o.pgRestarts },
    (_, i) => began + ((i + 1) / (o.pgRestarts + 1)) * o.seconds * 1000,
  );
  const sameIdAt = began + 0.2 * o.seconds * 1000;
  const later: Promise<unknown>[] = [];
  const pgRestartsMs: number[] = [];
  let kills = 0;
  let sameIdRestarts = 0;
  let pauses = 0;
  const restartSlot = (slot: number, afterMs: number) =>
    later.push(
      // A restart killed again before it launched is part of the chaos, not a failure.
      sleep(afterMs).then(() => pool.start(slot).catch(() => undefined)),
    );

  // The time is a minimum, and so is one kill: on a loaded machine a slow server restart or
  // workers still launching could use up the whole time, and a run without a kill proves little.
  const over = () => Date.now() >= end && kills > 0;
  while (!over()) {
    await sleep(Math.max(100, Math.min(end - Date.now(), 700 + random() * 1_100)));
    if (over()) break;
    const running = pool.running();
    if (restartAt.length > 0 && Date.now() >= (restartAt[0] ?? Infinity)) {
      restartAt.shift();
      const ms = await cluster.restart();
      pgRestartsMs.push(ms);
      log(`postgres restarted (${ms} ms)`);
    } else if (sameIdRestarts === 0 && Date.now() >= sameIdAt && running.includes(0)) {
      await pool.kill(0);
      kills++;
      sameIdRestarts++;
      log("killed the stable-ID worker; restarting it with the same ID");
      restartSlot(0, 50);
    } else if (running.length >= 2 && random() < 0.75) {
      const slot = pick(running) ?? 0;
      await pool.kill(slot);
      kills++;
      if (pool.isStable(slot)) sameIdRestarts++;
      restartSlot(slot, random() * o.leaseMs * 1.5);
    } else if (running.length >= 2) {
      const slot = pick(running) ?? 0;
      pool.pause(slot);
      pauses++;
      const forMs = o.leaseMs * (1.5 + random() * 1.5);
      later.push(sleep(forMs).then(() => pool.resume(slot)));
    }
  }
  while (restartAt.shift() !== undefined) pgRestartsMs.push(await cluster.restart());
  await Promise.all(later);
  log(
    `${kills} kills (${sameIdRestarts} same-ID), ${pauses} pauses, ${pgRestartsMs.length} server restarts`,
  );
  return { kills, sameIdRestarts, pauses, pgRestartsMs };
}

/** Waits until every workflow exists and none is PENDING, or the timeout. */
async function drain(
  admin: postgres.Sql,
  count: number,
  timeoutMs: number,
  log: (line: string) => void,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastLog = 0;
  while (Date.now() < deadline) {
    try {
      const [row] = await admin<{ total: number; pending: number }[]>`
        select count(*)::int as total,
               count(*) filter (where status = 'PENDING')::int as pending
        from cairn.workflows`;
      if (row && row.total >= count && row.pending === 0) return;
      if (Date.now() - lastLog > 5_000) {
        lastLog = Date.now();
        log(`draining: ${row?.pending} pending of ${row?.total}`);
      }
    } catch {
      // The server may still be coming back.
    }
    await sleep(250);
  }
  log(`drain timed out after ${timeoutMs} ms`);
}

/** A small seeded PRNG, so a run's choices can be replayed from its seed. */
function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export type { PoolEvent };
