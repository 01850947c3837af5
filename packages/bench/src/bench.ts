/**
 * `pnpm bench`: measures what a step costs on each backend (statements on the wire and
 * milliseconds), one workflow at a time and with many in flight, and how fast a sent message
 * wakes the recv waiting for it, what queues cost (enqueue, drain, enqueue→start), and prints one JSON object beside DESIGN.md's targets. It is a measurement, not a test: nothing here fails on a slow run.
 * Progress goes to stderr so stdout stays pure JSON.
 */
import { randomBytes } from "node:crypto";
import { writeFile } from "node:fs/promises";
import { cpus, loadavg, totalmem } from "node:os";
import { createEngine } from "@cairn/core";
import { openBackend } from "./backends.js";
import { bulkStarted, runBulkStart } from "./bulk-start.js";
import { runCeilings } from "./ceilings.js";
import { runConcurrent } from "./concurrent.js";
import { countingStore } from "./counting-store.js";
import { parseOptions, type BackendName, type BenchOptions } from "./options.js";
import { runQueues } from "./queues.js";
import { runSequential } from "./sequential.js";
import {
  TARGETS,
  bulkStartVsTargets,
  concurrentVsTargets,
  queuesVsTargets,
  sequentialVsTargets,
  wakeupVsTargets,
} from "./targets.js";
import { runWakeup } from "./wakeup.js";
import { benchWorkflows, workflowList, type StepTimer } from "./workflows.js";

const progress = (message: string) => process.stderr.write(`[bench] ${message}\n`);

async function runBackend(name: BackendName, options: BenchOptions) {
  const schema = `bench_${randomBytes(4).toString("hex")}`;
  progress(`${name}: opening (schema ${schema})`);
  const backend = await openBackend(name, options.url, schema);
  const timer: StepTimer = { samples: [] };
  const workflows = benchWorkflows(timer);
  const store = countingStore(backend.store);
  const engine = createEngine({
    store: store.store,
    workflows: [...workflowList(workflows), bulkStarted],
  });
  const transactions = name !== "memory";
  const env = { engine, workflows, timer, statements: backend.statements, store, transactions };
  try {
    await engine.launch();
    progress(`${name}: (a) ${options.runs} sequential 20-step runs`);
    const sequential = await runSequential(env, options.runs, options.warmup);
    progress(`${name}: (b) ${options.workflows} 3-step workflows, ${options.inflight} in flight`);
    const concurrent = await runConcurrent(env, options.workflows, options.inflight);
    progress(`${name}: (d) store calls alone, ${options.inflight} in flight`);
    const storeCallsAlone = await runCeilings(env, options.workflows, options.inflight);
    progress(`${name}: (e) ${options.wakeups} send→recv wake-ups`);
    const wakeup = await runWakeup(
      () => backend.another(),
      options.wakeups,
      Math.max(10, Math.round(options.wakeups / 10)),
    );
    progress(`${name}: (g) bulk start, ${options.bulkItems} by a client, then by the engine`);
    const bulkStart = await runBulkStart(
      engine,
      store.store,
      backend.statements,
      options.bulkItems,
    );
    let queues: Awaited<ReturnType<typeof runQueues>> | undefined;
    if (name !== "memory") {
      progress(`${name}: (f) queues: ${options.queueItems} enqueued, drained, then latency`);
      queues = await runQueues(() => backend.another(), {
        items: options.queueItems,
        inflight: options.inflight,
        latencySamples: options.queueLatency,
      });
    }
    if (backend.floor) progress(`${name}: floor (bare round trip and one-row commit)`);
    const floor = await backend.floor?.();
    const compare = name === "postgres";
    return {
      note: backend.note,
      serverVersion: backend.serverVersion,
      ...(backend.openMs === undefined ? {} : { openMs: backend.openMs }),
      ...(floor === undefined ? {} : { floor }),
      sequential: compare
        ? { ...sequential, vsTarget: sequentialVsTargets(sequential) }
        : sequential,
      concurrent: compare
        ? { ...concurrent, vsTarget: concurrentVsTargets(concurrent) }
        : concurrent,
      storeCallsAlone,
      wakeup: compare ? { ...wakeup, vsTarget: wakeupVsTargets(wakeup) } : wakeup,
      bulkStart: compare ? { ...bulkStart, vsTarget: bulkStartVsTargets(bulkStart) } : bulkStart,
      ...(queues === undefined
        ? {}
        : { queues: compare ? { ...queues, vsTarget: queuesVsTargets(queues) } : queues }),
    };
  } finally {
    await engine.shutdown();
    await backend.close();
  }
}

async function main() {
  const options = parseOptions(process.argv.slice(2));
  const machine = {
    cpus: cpus().length,
    cpuModel: cpus()[0]?.model,
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    loadAverageAtStart: loadavg().map((x) => Number(x.toFixed(2))),
    node: process.version,
    platform: `${process.platform}-${process.arch}`,
  };
  const results: Record<string, unknown> = {};
  for (const name of options.backends) {
    try {
      results[name] = await runBackend(name, options);
    } catch (error) {
      progress(`${name}: failed: ${String(error)}`);
      results[name] = { error: error instanceof Error ? error.message : String(error) };
      process.exitCode = 1;
    }
  }
  const { url: _url, out, ...shown } = options; // the URL may hold a password
  const report = {
    date: new Date().toISOString(),
    machine,
    options: shown,
    targets: TARGETS,
    results,
  };
  const json = JSON.stringify(report, null, 2);
  console.log(json);
  if (out !== undefined) await writeFile(out, `${json}\n`);
}

if (process.argv.includes("--sleepers")) {
  const { runSleepers } = await import("./sleepers.js");
  await runSleepers(process.argv.slice(2));
} else if (process.argv.includes("--compare")) {
  // Loaded only here: DBOS and pg-boss stay out of the plain bench.
  const { runCompare } = await import("./compare/compare.js");
  await runCompare(process.argv.slice(2));
} else {
  await main();
}
