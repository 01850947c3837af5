/**
 * Scenario (a): one 20-step workflow at a time, many times. Nothing runs concurrently, so no
 * write can share a commit: this is the cost of a step on first execution, in statements, in
 * milliseconds and in Node CPU; then the same for a transaction step.
 */
import { measure, perWorkflow, statementsPerStep, type ScenarioEnv } from "./measure.js";
import { distribution, perSecond, round } from "./stats.js";

const STEPS = 20;

export async function runSequential(env: ScenarioEnv, runs: number, warmup: number) {
  const { engine, workflows, timer } = env;
  for (let i = 0; i < warmup; i++) {
    await engine.run(workflows.twentySteps, 0);
    await engine.run(workflows.noSteps, 0);
  }

  const emptyMs: number[] = [];
  const baselineCpu = process.cpuUsage();
  const baseline = await measure(env, async () => {
    for (let i = 0; i < runs; i++)
      emptyMs.push(await timed(() => engine.run(workflows.noSteps, 0)));
  });
  const emptyCpuUs = cpuMicros(baselineCpu);

  const workflowMs: number[] = [];
  timer.samples = [];
  const phaseCpu = process.cpuUsage();
  const phase = await measure(env, async () => {
    for (let i = 0; i < runs; i++) {
      workflowMs.push(await timed(() => engine.run(workflows.twentySteps, 0)));
    }
  });
  const phaseCpuUs = cpuMicros(phaseCpu);

  // Taken before the transaction chain runs: its steps are timed into the same list.
  const stepSamples = [...timer.samples];
  const transactions = env.transactions ? await runTransactions(env, runs) : undefined;

  return {
    shape: `${runs} runs of one ${STEPS}-step workflow, one at a time, after ${warmup} warm-up runs`,
    workflowsPerSecond: perSecond(runs, phase.ms),
    stepsPerSecond: perSecond(runs * STEPS, phase.ms),
    msPerStep: distribution(workflowMs, STEPS),
    // The same chain with each step a transaction (BEGIN, fence check, one statement, checkpoint,
    // COMMIT); null on the memory store, which has no database.
    msPerTransactionStep: transactions ? distribution(transactions.workflowMs, STEPS) : null,
    statementsPerTransactionStep: transactions
      ? statementsPerStep(transactions.phase, baseline, runs, STEPS)
      : null,
    stepLatencyMs: distribution(stepSamples),
    // This process's CPU (user + system, all its threads), not wall time: what a step costs
    // Node whatever else shares the cores. Per step: the 20-step runs less the no-step runs.
    nodeCpuUsPerStep: round((phaseCpuUs - emptyCpuUs) / runs / STEPS),
    nodeCpuUsPerStartFinish: round(emptyCpuUs / runs),
    workflowMs: distribution(workflowMs),
    startFinishOnlyMs: distribution(emptyMs),
    statementsPerWorkflow: phase.statements ? round(phase.statements.total / runs) : null,
    startFinishStatementsPerWorkflow: baseline.statements
      ? round(baseline.statements.total / runs)
      : null,
    statementsPerStep: statementsPerStep(phase, baseline, runs, STEPS),
    statementsPerWorkflowByText: phase.statements && perWorkflow(phase.statements.byText, runs),
    storeCallsPerWorkflow: perWorkflow(phase.calls, runs),
  };
}

/** `runs` runs of the 20-transaction chain, after one warm-up run. */
async function runTransactions(env: ScenarioEnv, runs: number) {
  const workflowMs: number[] = [];
  await env.engine.run(env.workflows.twentyTransactions, 0);
  const phase = await measure(env, async () => {
    for (let i = 0; i < runs; i++) {
      workflowMs.push(await timed(() => env.engine.run(env.workflows.twentyTransactions, 0)));
    }
  });
  return { workflowMs, phase };
}

/** Microseconds of this process's CPU since `since` (a `process.cpuUsage()` reading). */
function cpuMicros(since: NodeJS.CpuUsage): number {
  const { user, system } = process.cpuUsage(since);
  return user + system;
}

async function timed(run: () => Promise<unknown>): Promise<number> {
  const started = performance.now();
  await run();
  return performance.now() - started;
}
