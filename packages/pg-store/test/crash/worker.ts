/**
 * The process the crash tests kill. Run as `node --import tsx worker.ts` with a `WorkerConfig`
 * in `CAIRN_CRASH_CONFIG`, it builds an engine on the configured store (Postgres or a PGlite data
 * directory), then either starts a workflow or only launches (recovering what a killed process
 * left PENDING), and prints markers on stdout: every durable checkpoint, every step body, every
 * hold point, and a final report. It never decides when it dies; the test, or a poison step, does.
 */
import {
  type Clock,
  createEngine,
  deserialize,
  systemClock,
  type StepRecord,
  type WorkflowHandle,
  type WorkflowStore,
} from "@cairn/core";
import { PGlite } from "@electric-sql/pglite";
import postgres from "postgres";
import {
  createPgStore,
  createPgliteStore,
  migrateCompletions,
  type AppDatabase,
  type PgStore,
} from "../../src/index.js";
import { openEffectLog } from "./effects.js";
import {
  CONFIG_ENV,
  type AppDatabaseConfig,
  formatMarker,
  type Marker,
  type ReportedStep,
  type ReportedWorkflow,
  type StoreConfig,
  type WorkerConfig,
} from "./protocol.js";
import { transactionWorkflows } from "./transaction-workflows.js";
import { crashWorkflows } from "./workflows.js";

/** Writes a marker; stdout on a pipe is synchronous, so it is out before any kill that follows. */
const mark = (marker: Marker): void => {
  process.stdout.write(formatMarker(marker));
};

function openStore(config: StoreConfig): PgStore {
  return config.kind === "postgres"
    ? createPgStore({ url: config.url, schema: config.schema, max: 4 })
    : createPgliteStore({ dataDir: config.dataDir, schema: config.schema });
}

/** Opens the other database and its completion table; returns it and how to close it. */
async function openApp(
  config: AppDatabaseConfig | undefined,
): Promise<{ app: AppDatabase | undefined; close: () => Promise<void> }> {
  if (!config) return { app: undefined, close: () => Promise.resolve() };
  const app =
    config.kind === "postgres"
      ? postgres(config.url, { max: 2, onnotice: () => undefined })
      : await PGlite.create({ dataDir: config.dataDir });
  await migrateCompletions(app, { schema: "app_cairn" });
  return {
    app,
    close: async () => {
      if (typeof app === "function") await app.end({ timeout: 1 });
      else await app.close();
    },
  };
}

/**
 * Delegates to `store`, marking each checkpoint once the store reports it durable, and holding
 * at `before-checkpoint:<name>` when configured.
 */
function markingCheckpoints(store: PgStore, hold: string | undefined): WorkflowStore {
  return {
    ...store, // every method is a closure over the store, so spreading keeps them working
    async recordStep(record, fence) {
      if (hold === `before-checkpoint:${record.name}`) {
        mark({ kind: "HOLD", point: hold });
        await new Promise<never>(() => undefined);
      }
      const stored = await store.recordStep(record, fence);
      if (stored) {
        const { workflowId, position, name } = record;
        mark({ kind: "CHECKPOINT", workflowId, position, name, output: decode(record.output) });
      }
      return stored;
    },
    async recordStepAttempt(attempt, fence) {
      await store.recordStepAttempt(attempt, fence);
      const { workflowId, attempts, nextAttemptAt } = attempt;
      mark({ kind: "ATTEMPT_RECORDED", workflowId, attempts, nextAttemptAt });
      if (hold === `after-attempt:${attempts}`) {
        mark({ kind: "HOLD", point: hold });
        await new Promise<never>(() => undefined);
      }
    },
  };
}

/** The real clock, marking every durable sleep the engine asks for. */
const markingClock: Clock = {
  now: () => systemClock.now(),
  sleep: (ms, signal) => {
    mark({ kind: "CLOCK_SLEEP", ms });
    return systemClock.sleep(ms, signal);
  },
};

const decode = (value: string | undefined): unknown =>
  value === undefined ? undefined : deserialize(value);

function describeError(error: unknown): { name: string; message: string } {
  return error instanceof Error
    ? { name: error.name, message: error.message }
    : { name: "unknown", message: String(error) };
}

function reportStep(record: StepRecord): ReportedStep {
  const error = record.error === undefined ? undefined : describeError(decode(record.error));
  return {
    position: record.position,
    name: record.name,
    output: decode(record.output),
    error,
    childWorkflowId: record.childWorkflowId,
    attempts: record.attempts,
    startedAt: record.startedAt,
    completedAt: record.completedAt,
  };
}

/** Waits for the workflow to settle (or not), then reads its state and checkpoints. */
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
  const steps = await store.listSteps(handle.workflowId);
  return {
    workflowId: handle.workflowId,
    status: status.status,
    parentWorkflowId: status.parentWorkflowId,
    recoveryAttempts: status.recoveryAttempts,
    ...outcome,
    steps: steps.map(reportStep),
  };
}

async function main(): Promise<void> {
  const config = JSON.parse(process.env[CONFIG_ENV] ?? "null") as WorkerConfig | null;
  if (!config) throw new Error(`${CONFIG_ENV} is not set`);
  const effects = await openEffectLog(config.store);
  const env = { effects, mark, hold: config.hold };
  const app = await openApp(config.appDatabase);
  const workflows = [...crashWorkflows(env), ...transactionWorkflows(env, app.app)];
  const store = openStore(config.store);
  const engine = createEngine({
    store: markingCheckpoints(store, config.hold),
    workflows,
    executorId: config.executorId,
    clock: markingClock,
  });

  mark({ kind: "LAUNCHING", at: Date.now(), pid: process.pid });
  const launched = await engine.launch();
  mark({ kind: "LAUNCHED", recovered: launched.recovered, deadLettered: launched.deadLettered });
  if (config.mode === "start") {
    const definition = workflows.find((w) => w.name === config.workflow);
    if (!definition) throw new Error(`unknown workflow ${config.workflow}`);
    await engine.start(definition, config.input, { id: config.workflowId });
    mark({ kind: "STARTED", workflowId: config.workflowId });
  }

  const workflow = await report(engine.retrieve(config.workflowId), store);
  const childIds = workflow.steps.flatMap((s) => (s.childWorkflowId ? [s.childWorkflowId] : []));
  const children = await Promise.all(childIds.map((id) => report(engine.retrieve(id), store)));
  mark({ kind: "REPORT", workflow, children });
  await engine.shutdown();
  await effects.close();
  await app.close();
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
