/**
 * `pnpm --filter @cairn/bench profile-queue-runtime`: the Node CPU of the queue runtime and of
 * the run path in core per drained item, without a database — an engine on the memory store
 * serves a queue whose store answers each claim at once (next macrotask) with records built as
 * the Postgres claim's decoding builds them, and takes the outcomes each claim writes. What it
 * measures is what the drain costs Node above the driver: the dispatcher, the spawn of each
 * run, its execution, its outcome handed to the next claim, and its settling — CPU and GC per
 * item, and the time from a claim's answer to the next claim (the Node work a Postgres drain
 * waits for between two claims). One warm-up drain, then `--rounds` drains of `--items`, each
 * on a fresh engine; `--cpu-prof FILE` and `--heap-prof FILE` profile the rounds. Prints one
 * JSON object. A measurement to read, not a test.
 */
import { writeFile } from "node:fs/promises";
import { Session } from "node:inspector/promises";
import { PerformanceObserver } from "node:perf_hooks";
import { parseArgs } from "node:util";
import { createEngine, workflow, type WorkflowRecord } from "@cairn/core";
import { createMemoryStore } from "@cairn/core/testing";
import { createQueues, defineQueue, type ClaimRequest, type ClaimResult } from "@cairn/queue";
import { createMemoryQueueStore } from "@cairn/queue/testing";

const { values } = parseArgs({
  args: process.argv.slice(2).filter((arg) => arg !== "--"),
  options: {
    items: { type: "string", default: "20000" },
    rounds: { type: "string", default: "5" },
    "worker-concurrency": { type: "string", default: "50" },
    "cpu-prof": { type: "string" },
    "heap-prof": { type: "string" },
  },
});
const items = Number(values.items);
const rounds = Number(values.rounds);
const workerConcurrency = Number(values["worker-concurrency"]);

/** A claimed record as the Postgres claim decodes it (a fresh object per claim). */
function claimedRecord(n: number, now: number): WorkflowRecord {
  return {
    workflowId: `wf-${n}`,
    name: "bench.queued",
    status: "PENDING",
    input: `[${n}]`,
    output: undefined,
    error: undefined,
    executorId: "runtime-profile",
    parentWorkflowId: undefined,
    recoveryAttempts: 0,
    deadlineAt: undefined,
    forkedFrom: undefined,
    queueName: "bench-backlog",
    appVersion: undefined,
    ownerEpoch: 1,
    createdAt: now,
    updatedAt: now,
    traceContext: undefined,
    startedAt: now,
    completedAt: undefined,
    queuePriority: 0,
    queueDedupId: undefined,
    queuePartitionKey: undefined,
    attributes: undefined,
  } as WorkflowRecord;
}

/** One round's figures. */
interface Round {
  readonly perSecond: number;
  readonly cpuUsPerItem: number;
  readonly gcUsPerItem: number;
  readonly answerToNextClaimMs: number;
}

async function drainOnce(total: number) {
  const store = createMemoryStore();
  let next = 0;
  let finished = 0;
  /** When each claim answered, and how long after the previous answer the next claim came. */
  let answeredAt: number | undefined;
  const gaps: number[] = [];
  let allFinished: (() => void) | undefined;
  const base = createMemoryQueueStore(store);
  const queueStore = {
    ...base,
    finishesInClaim: true,
    claim: async (request: ClaimRequest): Promise<ClaimResult> => {
      if (answeredAt !== undefined && request.queueName === "bench-backlog") {
        gaps.push(performance.now() - answeredAt);
      }
      await new Promise((resolve) => setImmediate(resolve));
      answeredAt = performance.now();
      if (request.queueName !== "bench-backlog") {
        return { claimed: [], withoutSteps: [], more: false, requeued: 0, deadLettered: [] };
      }
      const now = Date.now();
      const claimed: WorkflowRecord[] = [];
      while (claimed.length < request.max && next < total) claimed.push(claimedRecord(next++, now));
      return {
        claimed,
        withoutSteps: claimed.map((r) => r.workflowId),
        more: next < total,
        shared: false,
        requeued: 0,
        deadLettered: [],
        limits: { workerConcurrency },
        ...(request.finishes ? { finished: request.finishes.map(() => "finished" as const) } : {}),
      };
    },
  };
  const trivial = workflow("bench.queued", async (_ctx, n: number) => n);
  const backlog = defineQueue("bench-backlog", { workerConcurrency });
  const engine = createEngine({
    store,
    workflows: [trivial],
    executorId: "runtime-profile",
    observers: [
      {
        onEvent: (event) => {
          if (event.type !== "workflow.finished") return;
          if (++finished >= total) allFinished?.();
        },
      },
    ],
    plugins: [createQueues({ store: queueStore, serve: [backlog] })],
  });
  const done = new Promise<void>((resolve) => (allFinished = resolve));
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  await engine.launch();
  await done;
  const ms = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  await engine.shutdown();
  gaps.sort((a, b) => a - b);
  return { ms, cpuUs: cpu.user + cpu.system, gapMs: gaps[Math.floor(gaps.length / 2)] ?? NaN };
}

async function main() {
  let gcMs = 0;
  const gc = new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) gcMs += entry.duration;
  });
  gc.observe({ entryTypes: ["gc"] });
  await drainOnce(Math.min(items, 5000)); // warm-up
  const session = new Session();
  session.connect();
  if (values["cpu-prof"]) {
    await session.post("Profiler.enable");
    await session.post("Profiler.setSamplingInterval", { interval: 100 });
    await session.post("Profiler.start");
  }
  if (values["heap-prof"]) {
    await session.post("HeapProfiler.enable");
    await session.post("HeapProfiler.startSampling", {
      samplingInterval: 4096,
      includeObjectsCollectedByMajorGC: true,
      includeObjectsCollectedByMinorGC: true,
    });
  }
  const results: Round[] = [];
  for (let r = 0; r < rounds; r++) {
    gcMs = 0;
    const { ms, cpuUs, gapMs } = await drainOnce(items);
    await new Promise((resolve) => setTimeout(resolve, 10)); // GC entries are reported late
    results.push({
      perSecond: Math.round((items * 1000) / ms),
      cpuUsPerItem: Number((cpuUs / items).toFixed(1)),
      gcUsPerItem: Number(((gcMs * 1000) / items).toFixed(1)),
      answerToNextClaimMs: Number(gapMs.toFixed(3)),
    });
  }
  if (values["cpu-prof"]) {
    const { profile } = await session.post("Profiler.stop");
    await writeFile(values["cpu-prof"], JSON.stringify(profile));
  }
  if (values["heap-prof"]) {
    const { profile } = await session.post("HeapProfiler.stopSampling");
    await writeFile(values["heap-prof"], JSON.stringify(profile));
  }
  session.disconnect();
  gc.disconnect();
  const median = (pick: (r: Round) => number) =>
    results.map(pick).sort((a, b) => a - b)[Math.floor(rounds / 2)];
  console.log(
    JSON.stringify({
      items,
      rounds: results,
      medianCpuUsPerItem: median((r) => r.cpuUsPerItem),
      medianGcUsPerItem: median((r) => r.gcUsPerItem),
      medianAnswerToNextClaimMs: median((r) => r.answerToNextClaimMs),
    }),
  );
}

await main();
