/**
 * One chaos worker process: an engine on the chaos cluster running the chaos workflow, started
 * by the driver with a `WorkerConfig` in `CAIRN_CHAOS_WORKER` and killed, paused and restarted by
 * it at random. Step bodies write their effect rows on a connection of their own (retrying
 * through a server restart, idempotently). The store is wrapped only to learn the epoch at which
 * this process runs each workflow (see `epochs`), so an effect and a checkpoint can name the run that made them, and to
 * report fenced writes. SIGTERM shuts the engine down cleanly.
 */
import { randomUUID } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import {
  createEngine,
  WorkflowOwnershipLostError,
  type LogFields,
  type Logger,
  type RecoveryResult,
  type WorkflowRecord,
  type WorkflowStore,
} from "@cairn/core";
import { createPgStore, transaction } from "@cairn/pg-store";
import postgres from "postgres";
import { insertEffect } from "./audit-schema.js";
import {
  chaosWorkflow,
  stepValue,
  STEP_NAMES,
  TRANSACTION_NAME,
  type StepOutput,
} from "./workflow.js";
import {
  formatLine,
  WORKER_CONFIG_ENV,
  type WorkerConfig,
  type WorkerLine,
} from "./worker-protocol.js";

const print = (line: WorkerLine): void => void process.stdout.write(formatLine(line));

const config = JSON.parse(process.env[WORKER_CONFIG_ENV] ?? "null") as WorkerConfig | null;
if (!config) throw new Error(`${WORKER_CONFIG_ENV} is not set`);

/**
 * The epoch at which this process runs each workflow: the epoch of its claim, or, when a claim
 * committed but its reply was lost (a server restart at the commit), the epoch of the record the
 * engine's poll then found assigned to this executor and ran. One run per workflow at a time
 * here, and a process's epochs for a workflow only grow.
 */
const epochs = new Map<string, number>();

function learn(record: WorkflowRecord | undefined, executorId: string): void {
  if (record?.status !== "PENDING" || record.executorId !== executorId) return;
  const known = epochs.get(record.workflowId) ?? -1;
  epochs.set(record.workflowId, Math.max(known, record.ownerEpoch));
}

function tracking(store: WorkflowStore, executorId: () => string): WorkflowStore {
  const note = (result: RecoveryResult): RecoveryResult => {
    for (const record of result.recovered) learn(record, executorId());
    return result;
  };
  const listCreatedBatch = store.listCreatedBatch?.bind(store);
  return {
    ...store,
    claimRecoverable: async (claim) => note(await store.claimRecoverable(claim)),
    takeOver: async (claim) => note(await store.takeOver(claim)),
    async listRunnable(id, limit, after) {
      const records = await store.listRunnable(id, limit, after);
      for (const record of records) learn(record, executorId());
      return records;
    },
    // A bulk start's page (rows and histories in one read): `...store` alone missed its epochs.
    ...(listCreatedBatch && {
      async listCreatedBatch(id: string, createdAt: number, limit: number, afterId?: string) {
        const page = await listCreatedBatch(id, createdAt, limit, afterId);
        for (const { record } of page) learn(record, executorId());
        return page;
      },
    }),
    async getWorkflow(workflowId) {
      const record = await store.getWorkflow(workflowId);
      learn(record, executorId());
      return record;
    },
    async recordStep(step, fence) {
      try {
        return await store.recordStep(step, fence);
      } catch (error) {
        if (WorkflowOwnershipLostError.is(error)) {
          const message = `fenced: checkpoint ${step.workflowId}#${step.position} refused`;
          print({ chaos: "log", level: "fenced", message, error: error.name });
        }
        throw error;
      }
    },
  };
}

const logAt =
  (level: string) =>
  (message: string, fields?: LogFields): void => {
    const error = fields?.["error"];
    print({
      chaos: "log",
      level,
      message,
      ...(error instanceof Error ? { error: `${error.name}: ${error.message}` } : {}),
    });
  };
const logger: Logger = {
  debug: () => undefined,
  info: logAt("info"),
  warn: logAt("warn"),
  error: logAt("error"),
};

const effects = postgres(config.url, { max: 4, onnotice: () => undefined, connect_timeout: 5 });
const delayMs = () => Math.random() * config.stepDelayMs;

/** Writes the effect, retrying through outages until it is stored or the run is abandoned. */
async function recordEffect(row: Parameters<typeof insertEffect>[1], signal: AbortSignal) {
  const giveUpAt = Date.now() + 120_000;
  for (let waitMs = 50; ; waitMs = Math.min(waitMs * 2, 1_000)) {
    try {
      return await insertEffect(effects, row);
    } catch (error) {
      if (signal.aborted || Date.now() > giveUpAt) throw error;
      await sleep(waitMs);
    }
  }
}

/** The closing transaction: its effect row commits with its checkpoint, or not at all. */
const transact = transaction.withContext(
  TRANSACTION_NAME,
  async (context, tx, previous: number, runId: string): Promise<StepOutput> => {
    const effectId = randomUUID();
    const epoch = epochs.get(context.workflowId) ?? -1;
    const position = STEP_NAMES.length;
    const executorId = engine.executorId;
    await insertEffect(tx, {
      ...{ effectId, workflowId: context.workflowId, step: TRANSACTION_NAME, position },
      ...{ executorId, runId, runEpoch: epoch, attempt: context.attempt },
    });
    await sleep(delayMs()); // a kill or pause may land here, inside the open transaction
    return { value: stepValue(position, previous), by: executorId, epoch, effectId };
  },
);

const flow = chaosWorkflow(async (context, position, previous, runId): Promise<StepOutput> => {
  await sleep(delayMs());
  const effectId = randomUUID();
  const epoch = epochs.get(context.workflowId) ?? -1;
  const step = STEP_NAMES[position] ?? "?";
  const executorId = engine.executorId;
  const row = { effectId, workflowId: context.workflowId, step, position, executorId, runId };
  await recordEffect({ ...row, runEpoch: epoch, attempt: context.attempt }, context.signal);
  await sleep(delayMs());
  return { value: stepValue(position, previous), by: executorId, epoch, effectId };
}, transact);

const engine = createEngine({
  store: tracking(
    createPgStore({ url: config.url, schema: "cairn", max: 8 }),
    () => engine.executorId,
  ),
  workflows: [flow],
  logger,
  leaseMs: config.leaseMs,
  pollIntervalMs: config.pollIntervalMs,
  shutdownGraceMs: 2_000,
  ...(config.executorId === undefined ? {} : { executorId: config.executorId }),
});
print({ chaos: "id", executorId: engine.executorId, pid: process.pid });

async function launch(): Promise<void> {
  // The server may be restarting right now: keep trying, as a real deploy's process would.
  for (let attempt = 1; ; attempt++) {
    try {
      const report = await engine.launch();
      print({ chaos: "ready", executorId: engine.executorId, recovered: report.recovered.length });
      return;
    } catch (error) {
      if (attempt >= 60) throw error;
      await sleep(500);
    }
  }
}

process.once("SIGTERM", () => {
  void engine
    .shutdown()
    .then(() => effects.end({ timeout: 1 }))
    .then(
      () => process.exit(0),
      () => process.exit(1),
    );
});

launch().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
