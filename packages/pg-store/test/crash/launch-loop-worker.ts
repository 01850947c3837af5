/**
 * The process `launch-crash-loop.test.ts` kills at every launch: an engine with a small
 * `runCapacity` that only launches, recovering the workflows a test left PENDING for its
 * executor. Each run prints `STARTED` as its body begins and, when `hold` is set, never ends, so
 * the test can SIGKILL the process with runs in flight; without `hold` the bodies return at once.
 * It never decides when it dies; the test does.
 */
import { createEngine, workflow } from "@cairn/core";
import { createPgStore } from "../../src/index.js";
import { printMarker, programConfig } from "./marked-process.js";

/** What one worker process does. */
export interface LaunchLoopWorkerConfig {
  readonly url: string;
  readonly schema: string;
  readonly executorId: string;
  /** The name of its one workflow, as the rows the test created carry it. */
  readonly workflowName: string;
  readonly runCapacity: number;
  readonly maxRecoveryAttempts: number;
  /** Runs block forever once started (the test kills the process). */
  readonly hold: boolean;
}

/** Every marker the worker prints. */
export type LaunchLoopMarker =
  | { readonly kind: "LAUNCHED"; readonly deadLettered: readonly string[]; readonly pid: number }
  | { readonly kind: "STARTED"; readonly workflowId: string; readonly pid: number };

async function main(): Promise<void> {
  const config = programConfig<LaunchLoopWorkerConfig>();
  const held = workflow(
    { name: config.workflowName, maxRecoveryAttempts: config.maxRecoveryAttempts },
    async (ctx) => {
      printMarker({ kind: "STARTED", workflowId: ctx.workflowId, pid: process.pid });
      if (config.hold) await new Promise<never>(() => undefined);
      return ctx.workflowId;
    },
  );
  const engine = createEngine({
    store: createPgStore({ url: config.url, schema: config.schema, max: 4 }),
    workflows: [held],
    executorId: config.executorId,
    runCapacity: config.runCapacity,
    pollIntervalMs: 200,
  });
  const report = await engine.launch();
  printMarker({ kind: "LAUNCHED", deadLettered: report.deadLettered, pid: process.pid });
  setInterval(() => undefined, 60_000); // alive until killed, whatever the engine's timers
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
