/**
 * The process `multi-process.test.ts` runs several of at once on one Postgres schema: an engine
 * with a configured (or generated) executor ID, lease, application version and workflow code
 * (`v1`, `v2` with a patch, or `none`: alive but unable to run `mp.flow`). It may start
 * workflows at launch and may block inside a step, after that step's effect, until a release
 * file appears (or forever), so the test can SIGKILL or SIGSTOP it there. Every step body writes
 * an effect row (executor, step) on a connection of its own; the store is wrapped to report
 * takeover calls and fenced writes. It prints one JSON marker per line and never decides to die.
 * Run as `node --import tsx multi-worker.ts` with a `MultiWorkerConfig` in `CAIRN_MP_CONFIG`.
 */
import { existsSync } from "node:fs";
import { setTimeout as sleep } from "node:timers/promises";
import {
  createEngine,
  step,
  workflow,
  WorkflowOwnershipLostError,
  type AnyWorkflow,
  type Logger,
  type WorkflowContext,
  type WorkflowStore,
} from "@cairn/core";
import postgres from "postgres";
import { createPgStore, transaction } from "../../src/index.js";
import {
  effectsTable,
  MP_CONFIG_ENV,
  MP_PREFIX,
  type MpMarker,
  type MpResult,
  type MultiWorkerConfig,
} from "./multi-worker-protocol.js";

/** A marker without its time, which `mark` adds. */
type WithoutTime<M> = M extends unknown ? Omit<M, "at"> : never;
type Body = WithoutTime<MpMarker>;
const mark = (marker: Body): void =>
  void process.stdout.write(`${MP_PREFIX}${JSON.stringify({ ...marker, at: Date.now() })}\n`);

function defineWorkflows(
  config: MultiWorkerConfig,
  effects: postgres.Sql,
  executorId: () => string,
) {
  const effect = async (
    db: postgres.Sql | postgres.TransactionSql,
    workflowId: string,
    name: string,
  ) => {
    await db.unsafe(
      `insert into ${effectsTable(config.schema)} (workflow_id, step, executor_id) values ($1, $2, $3)`,
      [workflowId, name, executorId()],
    );
    mark({ kind: "effect", workflowId, step: name });
    const hold = config.hold;
    if (hold?.step === name && (!hold.workflowIds || hold.workflowIds.includes(workflowId))) {
      mark({ kind: "hold", workflowId, step: name });
      while (!(hold.releaseFile && existsSync(hold.releaseFile))) await sleep(50);
    }
  };
  const effectStep = (name: string, value: number) =>
    step.withContext(name, async ({ workflowId }) => {
      await effect(effects, workflowId, name);
      return { value, by: executorId() };
    });
  // The effect row commits with the transaction's checkpoint, or not at all.
  const s2tx = transaction.withContext(
    { name: "s2", idleTimeoutMs: config.txIdleTimeoutMs ?? 30_000 },
    async ({ workflowId }, tx) => {
      await effect(tx, workflowId, "s2");
      return { value: 10, by: executorId() };
    },
  );
  const s1 = effectStep("s1", 1);
  const s2 = effectStep("s2", 10);
  const s3 = effectStep("s3", 100);
  const s3b = effectStep("s3b", 1_000);
  const run = async (
    ctx: WorkflowContext,
    branch: "old" | "new",
    second: (ctx: WorkflowContext) => Promise<{ value: number; by: string }> = s2,
  ): Promise<MpResult> => {
    const outputs = [await s1(ctx), await second(ctx), await (branch === "old" ? s3 : s3b)(ctx)];
    return {
      branch,
      total: outputs.reduce((t, o) => t + o.value, 0),
      by: outputs.map((o) => o.by),
    };
  };
  const v1 = workflow("mp.flow", async (ctx, _n: number) => run(ctx, "old"));
  // v2 adds a branch behind a patch: runs started on v1 replay the old branch.
  const v2 = workflow("mp.flow", async (ctx, _n: number) =>
    run(ctx, (await ctx.patched("bonus")) ? "new" : "old"),
  );
  const withTx = workflow("mp.flow", async (ctx, _n: number) => run(ctx, "old", s2tx));
  const other = workflow("mp.other", async () => "other");
  const byCode: Record<MultiWorkerConfig["code"], AnyWorkflow[]> = {
    v1: [v1],
    v2: [v2],
    none: [other],
    tx: [withTx],
  };
  return byCode[config.code];
}

/** Reports takeover calls and fenced checkpoint writes; delegates everything. */
function reporting(store: WorkflowStore): WorkflowStore {
  return {
    ...store,
    async takeOver(claim) {
      const result = await store.takeOver(claim);
      mark({ kind: "takeover", claimed: result.recovered.map((r) => r.workflowId) });
      return result;
    },
    async recordStep(record, fence) {
      try {
        return await store.recordStep(record, fence);
      } catch (error) {
        if (WorkflowOwnershipLostError.is(error))
          mark({ kind: "fenced", workflowId: record.workflowId, position: record.position });
        throw error;
      }
    },
  };
}

const logger: Logger = {
  debug: () => undefined,
  info: () => undefined,
  warn: (message) => mark({ kind: "log", level: "warn", message }),
  error: (message) => mark({ kind: "log", level: "error", message }),
};

async function main(): Promise<void> {
  const config = JSON.parse(process.env[MP_CONFIG_ENV] ?? "null") as MultiWorkerConfig | null;
  if (!config) throw new Error(`${MP_CONFIG_ENV} is not set`);
  const effects = postgres(config.url, { max: 2, onnotice: () => undefined });
  let id = "";
  const workflows = defineWorkflows(config, effects, () => id);
  const engine = createEngine({
    store: reporting(createPgStore({ url: config.url, schema: config.schema, max: 4 })),
    workflows,
    logger,
    leaseMs: config.leaseMs,
    pollIntervalMs: config.pollIntervalMs,
    ...(config.executorId === undefined ? {} : { executorId: config.executorId }),
    ...(config.appVersion === undefined ? {} : { appVersion: config.appVersion }),
    ...(config.retention === undefined ? {} : { retention: config.retention }),
  });
  id = engine.executorId;
  const launched = await engine.launch();
  const flow = workflows.find((w) => w.name === "mp.flow");
  for (const [i, workflowId] of (config.start ?? []).entries()) {
    if (!flow) throw new Error("this worker's code has no mp.flow to start");
    await engine.start(flow, i, { id: workflowId });
  }
  mark({ kind: "ready", executorId: id, recovered: launched.recovered });
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
