/**
 * The process `communication-crash.test.ts` kills: an engine whose workflow waits in
 * `ctx.recv("x", { timeoutMs })`. Run as `node --import tsx communication-worker.ts` with a
 * `CommunicationWorkerConfig` (see `marked-process.ts`), it starts the workflow or only launches
 * (recovering what a killed process left PENDING), and prints markers: each checkpoint once
 * durable, `RECV_WAITING` each time a recv found no message and is about to wait, and a final
 * `REPORT` with the outcome and every checkpoint. It never decides when it dies; the test does.
 */
import {
  createEngine,
  deserialize,
  workflow,
  type StepRecord,
  type WorkflowStore,
} from "@cairn/core";
import { createPgStore, createPgliteStore } from "../../src/index.js";
import { printMarker, programConfig } from "./marked-process.js";

/** Where the worker's store lives. */
export type CommunicationStoreConfig =
  | { readonly kind: "postgres"; readonly url: string; readonly schema: string }
  | { readonly kind: "pglite"; readonly dataDir: string };

/** What one worker process does. */
export interface CommunicationWorkerConfig {
  readonly store: CommunicationStoreConfig;
  readonly executorId: string;
  readonly mode: "start" | "recover";
  readonly workflowId: string;
  /** The first recv's timeout. */
  readonly timeoutMs: number;
}

/** A checkpoint as the worker reports it, its value decoded. */
export interface ReportedCheckpoint {
  readonly position: number;
  readonly name: string;
  readonly output: unknown;
  readonly completedAt: number;
}

/** What the inbox workflow returned, as JSON (`null` for a recv that got nothing). */
export interface InboxResult {
  readonly first: unknown;
  readonly second: unknown;
}

/** Every marker the worker prints. */
export type CommunicationMarker =
  | { readonly kind: "LAUNCHING"; readonly at: number; readonly pid: number }
  | { readonly kind: "LAUNCHED"; readonly recovered: readonly string[] }
  | {
      readonly kind: "CHECKPOINT";
      readonly workflowId: string;
      readonly position: number;
      readonly name: string;
      readonly output: unknown;
    }
  | { readonly kind: "RECV_WAITING"; readonly workflowId: string; readonly position: number }
  | {
      readonly kind: "REPORT";
      readonly status: string;
      readonly result: InboxResult | undefined;
      readonly steps: readonly ReportedCheckpoint[];
    };

const mark = (marker: CommunicationMarker): void => printMarker(marker);

const decode = (value: string | undefined): unknown =>
  value === undefined ? undefined : deserialize(value);

const checkpointMarker = (record: StepRecord): CommunicationMarker => ({
  kind: "CHECKPOINT",
  workflowId: record.workflowId,
  position: record.position,
  name: record.name,
  output: decode(record.output),
});

/** Delegates to `store`, marking checkpoints once durable and recvs that found nothing. */
function marking(store: WorkflowStore): WorkflowStore {
  return {
    ...store,
    async recordStep(record) {
      const stored = await store.recordStep(record);
      if (stored) mark(checkpointMarker(record));
      return stored;
    },
    async consumeMessage(topic, step) {
      const consumed = await store.consumeMessage(topic, step);
      if (consumed) mark(checkpointMarker(consumed));
      else mark({ kind: "RECV_WAITING", workflowId: step.workflowId, position: step.position });
      return consumed;
    },
  };
}

/** Takes one message on "x" (waiting up to `timeoutMs`), then checks that no second one waits. */
const inbox = workflow("comm-crash.inbox", async (ctx, timeoutMs: number) => ({
  first: await ctx.recv("x", { timeoutMs }),
  second: await ctx.recv("x", { timeoutMs: 100 }),
}));

function openStore(config: CommunicationStoreConfig): WorkflowStore {
  return config.kind === "postgres"
    ? createPgStore({ url: config.url, schema: config.schema, max: 4 })
    : createPgliteStore({ dataDir: config.dataDir });
}

async function main(): Promise<void> {
  const config = programConfig<CommunicationWorkerConfig>();
  const store = openStore(config.store);
  const engine = createEngine({
    store: marking(store),
    workflows: [inbox],
    executorId: config.executorId,
  });
  mark({ kind: "LAUNCHING", at: Date.now(), pid: process.pid });
  const launched = await engine.launch();
  mark({ kind: "LAUNCHED", recovered: launched.recovered });
  if (config.mode === "start") {
    await engine.start(inbox, config.timeoutMs, { id: config.workflowId });
  }
  const handle = engine.retrieve<{ first: unknown; second: unknown }>(config.workflowId);
  const returned = await handle.result().catch(() => undefined);
  const result = returned && { first: returned.first ?? null, second: returned.second ?? null };
  const { status } = await handle.status();
  const steps = (await store.listSteps(config.workflowId)).map((s) => ({
    position: s.position,
    name: s.name,
    output: decode(s.output),
    completedAt: s.completedAt,
  }));
  mark({ kind: "REPORT", status, result, steps });
  await engine.shutdown();
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
