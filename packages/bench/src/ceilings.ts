/**
 * Scenario (d): each store call alone, straight on the store with many in flight, bypassing the
 * engine. It shows which call bounds scenario (b): a three-step workflow is one `createWorkflow`,
 * three `recordStep` and one `finishWorkflow`, and a call that cannot share a commit caps the
 * whole workflow rate. Rows go to fresh IDs under an executor no engine recovers.
 */
import { randomUUID } from "node:crypto";
import { serialize, type WorkflowStore } from "@cairn/core";
import { measure, slidingWindow, type ScenarioEnv } from "./measure.js";
import { round } from "./stats.js";

export async function runCeilings(env: ScenarioEnv, calls: number, inflight: number) {
  const store: WorkflowStore = env.store.store;
  const prefix = `ceiling-${randomUUID()}`;
  const value = serialize(0, "bench value");
  const executorId = "bench-ceilings";
  const id = (i: number) => `${prefix}-${i}`;
  const rate = async (run: (i: number) => Promise<unknown>) => {
    const phase = await measure(env, () => slidingWindow(calls, inflight, run).then(() => {}));
    return {
      callsPerSecond: Math.round((calls * 1000) / phase.ms),
      statementsPerCall: phase.statements ? round(phase.statements.total / calls) : null,
    };
  };
  const now = Date.now();
  return {
    shape: `${calls} calls of each, ${inflight} in flight, on the store directly`,
    createWorkflow: await rate((i) =>
      store.createWorkflow({ workflowId: id(i), name: "bench.ceiling", input: value, executorId }),
    ),
    recordStep: await rate((i) =>
      store.recordStep({
        workflowId: id(i),
        position: 0,
        name: "bump",
        output: value,
        error: undefined,
        childWorkflowId: undefined,
        attempts: 1,
        startedAt: now,
        completedAt: now,
      }),
    ),
    finishWorkflow: await rate((i) =>
      store.finishWorkflow({ workflowId: id(i), executorId, status: "SUCCESS", output: value }),
    ),
  };
}
