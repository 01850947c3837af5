/**
 * The cost targets from DESIGN.md ("Cost is part of the design") and issue 11, and the
 * comparison of a Postgres run against them: where both set one, the stricter. Targets are for a
 * 2-core machine with a local Postgres.
 */
import type { runBulkStart } from "./bulk-start.js";
import type { runConcurrent } from "./concurrent.js";
import type { runQueues } from "./queues.js";
import type { runSequential } from "./sequential.js";
import type { runWakeup } from "./wakeup.js";

export const TARGETS = {
  source: "DESIGN.md (cost targets on 2 cores and a local Postgres) and issue 11, the stricter",
  statementsPerStep: "<= 1",
  msPerStep: "<= 0.3 (issue 11: <= 0.35)",
  threeStepWorkflowsPerSecondAt100InFlight: ">= 6000 (issue 11; DESIGN.md: >= 2000)",
  sendToRecvWakeupP99Ms: "< 5 (issue 11; DESIGN.md: < 10)",
  queueItemsPerSecond: ">= 8000 (issue 11: 5,000 trivial workflows, workerConcurrency 50)",
  enqueuesPerSecondAt100InFlight: ">= 6000",
  bulkEnqueuesPerSecond: ">= 25000",
  bulkStartsPerSecond: ">= 25000 (issue 11: startMany, batches of 1,000)",
  enqueueToStartP99Ms: "< 5",
  measuredPeer: {
    name: "DBOS Transact TS, same machine class and server",
    statementsPerStep: 7,
    msPerStep: 2.1,
    threeStepWorkflowsPerSecondAt100InFlight: 260,
  },
} as const;

interface Comparison {
  readonly measured: number | null;
  readonly target: string;
  readonly met: boolean | null;
}

const atMost = (measured: number | null, limit: number): Comparison => ({
  measured,
  target: `<= ${limit}`,
  met: measured === null ? null : measured <= limit,
});

const atLeast = (measured: number, floor: number): Comparison => ({
  measured,
  target: `>= ${floor}`,
  met: measured >= floor,
});

type Sequential = Awaited<ReturnType<typeof runSequential>>;
type Concurrent = Awaited<ReturnType<typeof runConcurrent>>;

export function sequentialVsTargets(result: Sequential) {
  return {
    statementsPerStep: atMost(result.statementsPerStep, 1),
    medianMsPerStep: atMost(result.msPerStep.median, 0.3),
    medianStepLatencyMs: atMost(result.stepLatencyMs.median, 0.3),
  };
}

export function concurrentVsTargets(result: Concurrent) {
  return {
    workflowsPerSecond: atLeast(result.workflowsPerSecond, 6000),
    statementsPerStep: atMost(result.statementsPerStep, 1),
  };
}

type Wakeup = Awaited<ReturnType<typeof runWakeup>>;

export function wakeupVsTargets(result: Wakeup) {
  const p99 = result.sendToRecvMs.p99;
  return { sendToRecvP99Ms: { measured: p99, target: "< 5", met: p99 < 5 } };
}

type Queues = Awaited<ReturnType<typeof runQueues>>;

export function queuesVsTargets(result: Queues) {
  const p99 = result.enqueueToStartMs.p99;
  return {
    drainPerSecond: atLeast(result.drainPerSecond, 8000),
    enqueuesPerSecond: atLeast(result.enqueuesPerSecond, 6000),
    bulkEnqueuesPerSecond: atLeast(result.bulkEnqueuesPerSecond, 25000),
    enqueueToStartP99Ms: { measured: p99, target: "< 5", met: p99 < 5 },
  };
}

type BulkStart = Awaited<ReturnType<typeof runBulkStart>>;

export function bulkStartVsTargets(result: BulkStart) {
  return {
    clientStartManyPerSecond: atLeast(result.clientStartMany.perSecond, 25000),
    engineStartManyPerSecond: atLeast(result.engineStartMany.perSecond, 25000),
  };
}
