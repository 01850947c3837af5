/**
 * Scenario (b): many 3-step workflows with a fixed number in flight (a sliding window: as one
 * `engine.run` settles, the next starts). Concurrent checkpoints may share a commit, so
 * statements per step can fall below one; latency shows what the sharing costs each workflow.
 */
import {
  measure,
  perWorkflow,
  slidingWindow,
  statementsPerStep,
  type ScenarioEnv,
} from "./measure.js";
import { distribution, perSecond, round } from "./stats.js";

const STEPS = 3;

export async function runConcurrent(env: ScenarioEnv, workflows: number, inflight: number) {
  const { engine, timer } = env;
  const { threeSteps, noSteps } = env.workflows;
  const warmup = Math.min(workflows, Math.max(200, inflight * 2));
  await slidingWindow(warmup, inflight, () => engine.run(threeSteps, 0));

  const baseline = await measure(env, async () => {
    await slidingWindow(workflows, inflight, () => engine.run(noSteps, 0));
  });

  let latencies: number[] = [];
  timer.samples = [];
  const cpu = process.cpuUsage();
  const phase = await measure(env, async () => {
    latencies = await slidingWindow(workflows, inflight, () => engine.run(threeSteps, 0));
  });
  const { user, system } = process.cpuUsage(cpu);

  return {
    shape: `${workflows} ${STEPS}-step workflows, ${inflight} in flight, after ${warmup} warm-up`,
    workflowsPerSecond: perSecond(workflows, phase.ms),
    stepsPerSecond: perSecond(workflows * STEPS, phase.ms),
    workflowLatencyMs: distribution(latencies),
    stepLatencyMs: distribution(timer.samples),
    // This process's CPU (user + system, all its threads) per workflow: what a workflow costs
    // Node whatever else shares the cores, unlike the rate above.
    nodeCpuUsPerWorkflow: round((user + system) / workflows),
    statementsPerWorkflow: phase.statements ? round(phase.statements.total / workflows) : null,
    startFinishStatementsPerWorkflow: baseline.statements
      ? round(baseline.statements.total / workflows)
      : null,
    statementsPerStep: statementsPerStep(phase, baseline, workflows, STEPS),
    statementsPerWorkflowByText:
      phase.statements && perWorkflow(phase.statements.byText, workflows),
    storeCallsPerWorkflow: perWorkflow(phase.calls, workflows),
  };
}
