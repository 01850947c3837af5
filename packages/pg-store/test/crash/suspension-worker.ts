/**
 * The process `suspension-crash.test.ts` kills: an engine with `suspendAfterMs: 0` whose
 * workflows suspend in `ctx.sleep`, `ctx.recv`, or both awaited together (`Promise.all`) and, once woken, run one step that records a
 * side effect (a row of `<schema>.suspension_effects`, its own statement, so a test can count
 * how many times each body went past its wait). Run as `node --import tsx suspension-worker.ts`
 * with a `SuspensionWorkerConfig`: it starts workflows or only launches (recovering, or taking
 * over, what a killed process left), prints `SUSPENDED` for each run that left memory, and when
 * asked to wait prints `DONE` with every workflow's status once all finished. It never decides
 * when it dies; the test does.
 */
import { createEngine, step, workflow } from "@cairn/core";
import postgres from "postgres";
import { createPgStore } from "../../src/index.js";
import { printMarker, programConfig } from "./marked-process.js";

/** What one worker process does. */
export interface SuspensionWorkerConfig {
  readonly url: string;
  readonly schema: string;
  readonly executorId: string;
  /**
   * Workflows to start: sleepers sleep `sleepMs`, receivers wait for a message on "go", pairs
   * wait for both at once (`Promise.all`).
   */
  readonly start: {
    readonly sleepers: readonly string[];
    readonly receivers: readonly string[];
    readonly pairs?: readonly string[];
  };
  readonly sleepMs: number;
  /** Wait for these to finish, then print `DONE`. */
  readonly awaitIds: readonly string[];
  /** The engine's lease: another engine takes its workflows over this long after it died. */
  readonly leaseMs: number;
}

/** Every marker the worker prints. */
export type SuspensionMarker =
  | { readonly kind: "LAUNCHED"; readonly recovered: readonly string[]; readonly pid: number }
  | { readonly kind: "SUSPENDED"; readonly workflowId: string; readonly pid: number }
  | {
      readonly kind: "DONE";
      readonly statuses: Readonly<Record<string, string>>;
      readonly results: Readonly<Record<string, unknown>>;
    };

async function main(): Promise<void> {
  const config = programConfig<SuspensionWorkerConfig>();
  const effects = postgres(config.url, { max: 1, onnotice: () => undefined });
  const table = `"${config.schema}".suspension_effects`;
  await effects.unsafe(`create schema if not exists "${config.schema}"`);
  await effects.unsafe(`create table if not exists ${table} (
    id bigserial primary key, workflow_id text not null, pid int not null, at bigint not null)`);
  const effect = step("suspension-crash.effect", async (workflowId: string) => {
    await effects.unsafe(`insert into ${table} (workflow_id, pid, at) values ($1, $2, $3)`, [
      workflowId,
      process.pid,
      Date.now(),
    ]);
    return Date.now();
  });
  const sleeper = workflow("suspension-crash.sleeper", async (ctx, ms: number) => {
    await ctx.sleep(ms);
    return { after: await effect(ctx, ctx.workflowId) };
  });
  const receiver = workflow("suspension-crash.receiver", async (ctx) => {
    const message = await ctx.recv<string>("go");
    await effect(ctx, ctx.workflowId);
    return { message };
  });
  const pair = workflow("suspension-crash.pair", async (ctx, ms: number) => {
    const [message] = await Promise.all([ctx.recv<string>("go"), ctx.sleep(ms)]);
    await effect(ctx, ctx.workflowId);
    return { message };
  });
  const store = createPgStore({ url: config.url, schema: config.schema, max: 4 });
  const engine = createEngine({
    store,
    workflows: [sleeper, receiver, pair],
    executorId: config.executorId,
    suspendAfterMs: 0,
    leaseMs: config.leaseMs,
    pollIntervalMs: 200,
    observers: [
      {
        onEvent(event) {
          if (event.type !== "workflow.suspended") return;
          printMarker({ kind: "SUSPENDED", workflowId: event.run.workflowId, pid: process.pid });
        },
      },
    ],
  });
  const launched = await engine.launch();
  printMarker({ kind: "LAUNCHED", recovered: launched.recovered, pid: process.pid });
  for (const id of config.start.sleepers) await engine.start(sleeper, config.sleepMs, { id });
  for (const id of config.start.receivers) await engine.start(receiver, undefined, { id });
  for (const id of config.start.pairs ?? []) await engine.start(pair, config.sleepMs, { id });
  if (config.awaitIds.length === 0) return new Promise<never>(() => undefined); // killed here
  const statuses: Record<string, string> = {};
  const results: Record<string, unknown> = {};
  for (const id of config.awaitIds) {
    const handle = engine.retrieve(id);
    results[id] = await handle.result();
    statuses[id] = (await handle.status()).status;
  }
  printMarker({ kind: "DONE", statuses, results });
  await engine.shutdown();
  await effects.end({ timeout: 1 });
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
