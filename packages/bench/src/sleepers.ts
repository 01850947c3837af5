/**
 * `pnpm bench --sleepers N`: what waiting workflows cost once they suspend (decision 0014). One
 * engine on Postgres, with `suspendAfterMs` set, starts N workflows that each call
 * `ctx.sleep("1h")`, 1,000 per `engine.startMany` call, one call at a time, and waits until the
 * store shows all N suspended. It reports the start rate, the time until all were parked, this
 * process's heap and RSS before, at their peak while starting, when the last call returned and
 * once all were parked (those two after a full garbage collection: what the runs hold, not the
 * garbage), and Node and Postgres CPU. `--run-capacity` bounds the runs in memory. Then, with the N still parked, it starts
 * a sample of workflows whose sleep is short but still over the threshold, so they suspend too,
 * and measures how late each one wakes: from the due time its sleep checkpointed to its body
 * running again after the sleep — the timer, the claim of due workflows among the N parked
 * rows, the history read and the replay — and how long each then took to record its outcome (the
 * finish and its wake trigger among the N parked rows). `wakeSample.wakePath` splits the wake-up
 * into the timer (due → claim sent), the claim, the history read and the spawn and replay, from
 * the store calls timed in this process. Prints JSON; `--out FILE` writes it too.
 */
import { randomBytes } from "node:crypto";
import { writeFile } from "node:fs/promises";
import { cpus, loadavg } from "node:os";
import { parseArgs } from "node:util";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { createEngine, workflow, type DueClaim, type WorkflowStore } from "@cairn/core";
import { createPgStore } from "@cairn/pg-store";
import postgres from "postgres";
import { serverCpu } from "./pg-cpu.js";
import { distribution, perSecond } from "./stats.js";

const USAGE = `usage: pnpm bench --sleepers N [options]
  --sleepers N         workflows to park in ctx.sleep("1h") (e.g. 100000, 1000000)
  --batch N            items per engine.startMany call (default 1000)
  --sample N           workflows of the wake-up sample (default 200)
  --sample-sleep-ms N  their sleep (default 5000; at least --suspend-after-ms)
  --suspend-after-ms N the engine's suspendAfterMs (default 1000)
  --run-capacity N     the engine's runCapacity: bulk-started runs in memory at once (default: the engine's, 4,000)
  --url URL            Postgres server (default DATABASE_URL, then postgres://postgres@127.0.0.1:5432/test)
  --out FILE           also write the JSON report to FILE`;

const progress = (message: string) => process.stderr.write(`[sleepers] ${message}\n`);

/** A full garbage collection, through V8's flag set at run time (no --expose-gc needed). */
function collector(): () => void {
  setFlagsFromString("--expose-gc");
  return runInNewContext("gc") as () => void;
}

const megabytes = (bytes: number) => Math.round((bytes / 2 ** 20) * 10) / 10;
const memory = () => {
  const { heapUsed, rss } = process.memoryUsage();
  return { heapUsedMB: megabytes(heapUsed), rssMB: megabytes(rss) };
};

/** One store call of the wake path, timed: when it began and ended, and the sample IDs it held. */
interface TracedCall {
  readonly startedAt: number;
  readonly endedAt: number;
  readonly ids: readonly string[];
}

/**
 * Wraps the store's claim of due workflows and its reads of histories (one per page, or one per
 * workflow where the engine reads them one by one) so the report can split a wake-up of the
 * sample (IDs starting with `w-`) into its parts: the timer (due → claim sent), the claim, the
 * history read, and the spawn and replay after it.
 */
function traced<S extends WorkflowStore>(store: S) {
  const claims: TracedCall[] = [];
  const reads: TracedCall[] = [];
  const sampled = (ids: readonly string[]) => ids.filter((id) => id.startsWith("w-"));
  const wrapped: S = {
    ...store,
    claimDueWorkflows: async (claim: DueClaim) => {
      const startedAt = Date.now();
      const due = await store.claimDueWorkflows(claim);
      const ids = sampled(due.workflows.map((r) => r.workflowId));
      if (ids.length > 0) claims.push({ startedAt, endedAt: Date.now(), ids });
      return due;
    },
  };
  const listSteps = store.listSteps.bind(store);
  wrapped.listSteps = async (workflowId: string) => {
    const startedAt = Date.now();
    const history = await listSteps(workflowId);
    const ids = sampled([workflowId]);
    if (ids.length > 0) reads.push({ startedAt, endedAt: Date.now(), ids });
    return history;
  };
  const listStepsOf = store.listStepsOf?.bind(store);
  if (listStepsOf) {
    wrapped.listStepsOf = async (workflowIds: readonly string[]) => {
      const startedAt = Date.now();
      const histories = await listStepsOf(workflowIds);
      const ids = sampled(workflowIds);
      if (ids.length > 0) reads.push({ startedAt, endedAt: Date.now(), ids });
      return histories;
    };
  }
  /** Per sampled workflow: due → claim sent, the claim, its history read, read → resumed. */
  const split = (due: ReadonlyMap<string, number>, woke: ReadonlyMap<string, number>) => {
    const parts = { dueToClaimMs: [] as number[], claimMs: [] as number[] };
    const more = { readMs: [] as number[], readToResumedMs: [] as number[] };
    for (const [id, dueAt] of due) {
      const claim = claims.find((c) => c.ids.includes(id));
      const read = reads.find((r) => r.ids.includes(id) && r.startedAt >= (claim?.startedAt ?? 0));
      if (!claim || !read) continue;
      parts.dueToClaimMs.push(claim.startedAt - dueAt);
      parts.claimMs.push(claim.endedAt - claim.startedAt);
      more.readMs.push(read.endedAt - read.startedAt);
      more.readToResumedMs.push((woke.get(id) ?? Number.NaN) - read.endedAt);
    }
    return {
      claims: claims.length,
      reads: reads.length,
      dueToClaimMs: distribution(parts.dueToClaimMs),
      claimMs: distribution(parts.claimMs),
      historyReadMs: distribution(more.readMs),
      readToResumedMs: distribution(more.readToResumedMs),
    };
  };
  return { store: wrapped, split };
}

function parse(argv: readonly string[]) {
  const { values } = parseArgs({
    args: argv.filter((arg) => arg !== "--"),
    options: {
      sleepers: { type: "string" },
      batch: { type: "string", default: "1000" },
      sample: { type: "string", default: "200" },
      "sample-sleep-ms": { type: "string", default: "5000" },
      "suspend-after-ms": { type: "string", default: "1000" },
      "run-capacity": { type: "string" },
      url: { type: "string" },
      out: { type: "string" },
      help: { type: "boolean", default: false },
    },
  });
  const int = (flag: string, text: string | undefined, min: number): number => {
    const n = Number(text);
    if (!Number.isInteger(n) || n < min) usage(`--${flag} expects an integer >= ${min}`);
    return n;
  };
  if (values.help) usage();
  const options = {
    sleepers: int("sleepers", values.sleepers, 1),
    batch: int("batch", values.batch, 1),
    sample: int("sample", values.sample, 1),
    sampleSleepMs: int("sample-sleep-ms", values["sample-sleep-ms"], 1),
    suspendAfterMs: int("suspend-after-ms", values["suspend-after-ms"], 0),
    runCapacity:
      values["run-capacity"] === undefined
        ? undefined
        : int("run-capacity", values["run-capacity"], 1),
    url: values.url ?? process.env["DATABASE_URL"] ?? "postgres://postgres@127.0.0.1:5432/test",
    out: values.out,
  };
  if (options.sampleSleepMs < options.suspendAfterMs) {
    usage("--sample-sleep-ms must be at least --suspend-after-ms, or the sample never suspends");
  }
  return options;
}

function usage(problem?: string): never {
  if (problem) console.error(problem);
  console.error(USAGE);
  process.exit(problem ? 2 : 0);
}

export async function runSleepers(argv: readonly string[]): Promise<void> {
  const options = parse(argv);
  const gc = collector();
  const schema = `bench_${randomBytes(4).toString("hex")}`;
  const admin = postgres(options.url, { max: 1, onnotice: () => {} });
  const woke = new Map<string, number>();
  const sleeper = workflow("bench.sleeper", async (ctx) => {
    await ctx.sleep("1h");
  });
  const sampled = workflow("bench.sampled", async (ctx, ms: number) => {
    await ctx.sleep(ms);
    woke.set(ctx.workflowId, Date.now());
  });
  const trace = traced(createPgStore({ url: options.url, schema }));
  const engine = createEngine({
    store: trace.store,
    workflows: [sleeper, sampled],
    executorId: "bench-sleepers",
    suspendAfterMs: options.suspendAfterMs,
    ...(options.runCapacity === undefined ? {} : { runCapacity: options.runCapacity }),
  });
  const parked = async (): Promise<number> => {
    const [row] = await admin.unsafe<{ n: number }[]>(
      `select count(*)::int as n from "${schema}".workflows
       where status = 'PENDING' and wake_epoch = owner_epoch and wake_at is not null`,
    );
    return row?.n ?? 0;
  };
  try {
    await engine.launch();
    const pgCpu = await serverCpu(admin);
    gc();
    const before = memory();
    const peak = { heapUsedMB: before.heapUsedMB, rssMB: before.rssMB };
    const sampler = setInterval(() => {
      const now = memory();
      peak.heapUsedMB = Math.max(peak.heapUsedMB, now.heapUsedMB);
      peak.rssMB = Math.max(peak.rssMB, now.rssMB);
    }, 100);
    const loadAtStart = loadavg().map((x) => Number(x.toFixed(2)));
    const nodeCpu = process.cpuUsage();
    const pgCpuAtStart = await pgCpu();

    progress(`starting ${options.sleepers} sleepers, ${options.batch} per startMany call`);
    const started = performance.now();
    for (let i = 0; i < options.sleepers; i += options.batch) {
      const size = Math.min(options.batch, options.sleepers - i);
      await engine.startMany(
        sleeper,
        Array.from({ length: size }, (_, k) => ({ input: undefined, id: `s-${i + k}` })),
      );
      if ((i / options.batch) % 100 === 99) progress(`${i + size} started`);
    }
    const startMs = performance.now() - started;
    // What the runs not yet parked hold when the last call returns, garbage left out.
    gc();
    const atLastStart = memory();
    progress(`all started in ${Math.round(startMs)} ms; waiting until all are parked`);
    while ((await parked()) < options.sleepers) {
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    const parkMs = performance.now() - started;
    clearInterval(sampler);
    const used = process.cpuUsage(nodeCpu);
    const pgCpuAtEnd = await pgCpu();
    gc();
    const after = memory();
    const loadParked = loadavg().map((x) => Number(x.toFixed(2)));

    progress(`parked; waking a sample of ${options.sample} after ${options.sampleSleepMs} ms`);
    const handles = await engine.startMany(
      sampled,
      Array.from({ length: options.sample }, (_, k) => ({
        input: options.sampleSleepMs,
        id: `w-${k}`,
      })),
    );
    await engine.waitAll(handles, { timeoutMs: options.sampleSleepMs + 600_000 });
    const lateness: number[] = [];
    const dueAt = new Map<string, number>();
    for (const { workflowId } of handles) {
      const steps = await engine.listSteps(workflowId);
      const due = steps.find((s) => s.name === "cairn.sleep")?.output as number;
      dueAt.set(workflowId, due);
      lateness.push((woke.get(workflowId) ?? Number.NaN) - due);
    }
    // From the line after the sleep to the outcome written (its finish and the wake trigger,
    // among the N parked rows): what a finish costs with that many suspended.
    const completed = await admin.unsafe<{ workflow_id: string; completed_at: string }[]>(
      `select workflow_id, completed_at from "${schema}".workflows where workflow_id like 'w-%'`,
    );
    const finishing = completed.map(
      (row) => Number(row.completed_at) - (woke.get(row.workflow_id) ?? Number.NaN),
    );
    const per1000 = (mb: number) => Math.round(((mb * 1000) / options.sleepers) * 1000) / 1000;
    const report = {
      date: new Date().toISOString(),
      machine: {
        cpus: cpus().length,
        cpuModel: cpus()[0]?.model,
        node: process.version,
        loadAverageAtStart: loadAtStart,
        loadAverageWhenParked: loadParked,
      },
      options: { ...options, url: undefined },
      sleepers: options.sleepers,
      startManyPerSecond: perSecond(options.sleepers, startMs),
      startMs: Math.round(startMs),
      allParkedMs: Math.round(parkMs),
      parkedPerSecond: perSecond(options.sleepers, parkMs),
      memory: {
        beforeAfterGc: before,
        peakWhileStarting: peak,
        atLastStartAfterGc: atLastStart,
        parkedAfterGc: after,
        heapGrowthPer1000ParkedMB: per1000(after.heapUsedMB - before.heapUsedMB),
        rssGrowthPer1000ParkedMB: per1000(after.rssMB - before.rssMB),
      },
      cpuMsPer1000: {
        node: Math.round(((used.user + used.system) / 1000 / options.sleepers) * 1000),
        postgres:
          pgCpuAtStart === null || pgCpuAtEnd === null
            ? null
            : Math.round(((pgCpuAtEnd - pgCpuAtStart) / options.sleepers) * 1000),
      },
      wakeSample: {
        workflows: options.sample,
        sleepMs: options.sampleSleepMs,
        dueToResumedMs: distribution(lateness),
        maxMs: Math.round(Math.max(...lateness)),
        resumedToFinishedMs: distribution(finishing),
        /** The parts of due → resumed, per sampled workflow. */
        wakePath: trace.split(dueAt, woke),
      },
    };
    const json = JSON.stringify(report, null, 2);
    console.log(json);
    if (options.out !== undefined) await writeFile(options.out, `${json}\n`);
  } finally {
    await engine.shutdown();
    await admin.unsafe(`drop schema if exists "${schema}" cascade`);
    await admin.end({ timeout: 5 });
  }
}
