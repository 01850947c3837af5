/**
 * The process `pipeline-crash.test.ts` kills: like `worker.ts`, but it runs a three-stage
 * pipeline (a child workflow, a child workflow with two steps, then a step). Run as
 * `node --import tsx pipeline-worker.ts` with a `PipelineWorkerConfig` in `CAIRN_CRASH_CONFIG`;
 * it prints the same markers as `worker.ts` (step bodies, hold points, a final report), records
 * each step body's side effect in the same effect log, and blocks forever at the configured hold
 * point so the test can SIGKILL it there. A relaunch with the same executor ID recovers the run.
 */
import {
  createEngine,
  deserialize,
  pipeline,
  step,
  workflow,
  type StepRecord,
  type WorkflowHandle,
  type WorkflowStore,
} from "@cairn/core";
import { createPgStore, createPgliteStore } from "../../src/index.js";
import { openEffectLog, type EffectLog } from "./effects.js";
import {
  CONFIG_ENV,
  formatMarker,
  type Marker,
  type ReportedWorkflow,
  type StoreConfig,
} from "./protocol.js";

/** What one pipeline worker process does. */
export interface PipelineWorkerConfig {
  readonly store: StoreConfig;
  readonly executorId: string;
  /** `start`: start the pipeline as `workflowId`, then wait for it. `recover`: launch and wait. */
  readonly mode: "start" | "recover";
  readonly workflowId: string;
  readonly input?: string;
  /** `inside:<step>` blocks in that step's body after its effect, `after:<step>` after its checkpoint. */
  readonly hold?: string;
}

const mark = (marker: Marker): void => {
  process.stdout.write(formatMarker(marker));
};

/** The pipeline `words`: extract (workflow) → shout (workflow of two steps) → summarize (step). */
function crashPipeline(effects: EffectLog, hold: string | undefined) {
  const holdAt = async (point: string): Promise<void> => {
    if (hold !== point) return;
    mark({ kind: "HOLD", point });
    await new Promise<never>(() => undefined);
  };
  const effectStep = <In, Out>(name: string, compute: (input: In) => Out) =>
    step.withContext(name, async ({ workflowId }, input: In) => {
      mark({ kind: "STEP_START", workflowId, step: name });
      await effects.record(workflowId, name);
      mark({ kind: "EFFECT", workflowId, step: name });
      await holdAt(`inside:${name}`);
      return compute(input);
    });

  const split = effectStep("split", (text: string) => text.split(" "));
  const extract = workflow("words.extract", async (ctx, text: string) => split(ctx, text));

  const upper = effectStep("upper", (words: string[]) => words.map((w) => w.toUpperCase()));
  const exclaim = effectStep("exclaim", (words: string[]) => words.map((w) => `${w}!`));
  const shout = workflow("words.shout", async (ctx, words: string[]) => {
    const upperWords = await upper(ctx, words);
    await holdAt("after:upper");
    return exclaim(ctx, upperWords);
  });

  const summarize = effectStep("summarize", (words: string[]) => ({
    count: words.length,
    text: words.join(" "),
  }));

  return pipeline("words", extract, shout, summarize);
}

function openStore(config: StoreConfig): WorkflowStore {
  return config.kind === "postgres"
    ? createPgStore({ url: config.url, schema: config.schema, max: 4 })
    : createPgliteStore({ dataDir: config.dataDir, schema: config.schema });
}

function describeError(error: unknown): { name: string; message: string } {
  return error instanceof Error
    ? { name: error.name, message: error.message }
    : { name: "unknown", message: String(error) };
}

const decode = (value: string | undefined): unknown =>
  value === undefined ? undefined : deserialize(value);

const reportStep = (record: StepRecord) => ({
  position: record.position,
  name: record.name,
  output: decode(record.output),
  error: record.error === undefined ? undefined : describeError(decode(record.error)),
  childWorkflowId: record.childWorkflowId,
  attempts: record.attempts,
  startedAt: record.startedAt,
  completedAt: record.completedAt,
});

async function report(
  handle: WorkflowHandle<unknown>,
  store: WorkflowStore,
): Promise<ReportedWorkflow> {
  let outcome: { result: unknown } | { error: { name: string; message: string } };
  try {
    outcome = { result: await handle.result() };
  } catch (error) {
    outcome = { error: describeError(error) };
  }
  const status = await handle.status();
  return {
    workflowId: handle.workflowId,
    status: status.status,
    parentWorkflowId: status.parentWorkflowId,
    recoveryAttempts: status.recoveryAttempts,
    ...outcome,
    steps: (await store.listSteps(handle.workflowId)).map(reportStep),
  };
}

async function main(): Promise<void> {
  const config = JSON.parse(process.env[CONFIG_ENV] ?? "null") as PipelineWorkerConfig | null;
  if (!config) throw new Error(`${CONFIG_ENV} is not set`);
  const effects = await openEffectLog(config.store);
  const words = crashPipeline(effects, config.hold);
  const store = openStore(config.store);
  const engine = createEngine({
    store,
    workflows: words.workflows,
    executorId: config.executorId,
  });

  mark({ kind: "LAUNCHING", at: Date.now(), pid: process.pid });
  const launched = await engine.launch();
  mark({ kind: "LAUNCHED", recovered: launched.recovered, deadLettered: launched.deadLettered });
  if (config.mode === "start") {
    await engine.start(words, config.input ?? "", { id: config.workflowId });
    mark({ kind: "STARTED", workflowId: config.workflowId });
  }

  const workflow = await report(engine.retrieve(config.workflowId), store);
  const childIds = workflow.steps.flatMap((s) => (s.childWorkflowId ? [s.childWorkflowId] : []));
  const children = await Promise.all(childIds.map((id) => report(engine.retrieve(id), store)));
  mark({ kind: "REPORT", workflow, children });
  await engine.shutdown();
  await effects.close();
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
