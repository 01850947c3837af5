/**
 * A worker process for `crash-loop.test.ts`: an engine that serves one queue on a real Postgres.
 * Its `poison` workflow announces each run (`running`) and then hangs, so the test can SIGKILL
 * the process in the middle of it, as an out-of-memory crash would; `healthy` just returns.
 * Dead letters the engine reports are announced too. Prints `ready` once serving.
 */
import { createEngine, step, workflow } from "@cairn/core";
import { createQueues, defineQueue } from "@cairn/queue";
import { createPgStore } from "../../src/index.js";
import { createPgQueueStore } from "../../src/queue/index.js";
import { printMarker, programConfig } from "../crash/marked-process.js";

export interface CrashLoopWorkerConfig {
  readonly url: string;
  readonly schema: string;
  readonly leaseMs: number;
  /** Of `poison`: how often it may be put back after a crash before it is dead-lettered. */
  readonly maxRecoveryAttempts: number;
}

export type CrashLoopMarker =
  | { readonly kind: "ready"; readonly pid: number }
  | { readonly kind: "running"; readonly workflowId: string; readonly pid: number }
  | { readonly kind: "dead-lettered"; readonly workflowId: string; readonly attempts: number };

const config = programConfig<CrashLoopWorkerConfig>();

const hang = step("hang", () => new Promise<never>(() => undefined));
const poison = workflow(
  { name: "poison", maxRecoveryAttempts: config.maxRecoveryAttempts },
  async (ctx) => {
    printMarker<CrashLoopMarker>({ kind: "running", workflowId: ctx.workflowId, pid: process.pid });
    await hang(ctx);
  },
);
const healthy = workflow({ name: "healthy" }, async () => "ok");

const store = createPgStore({ url: config.url, schema: config.schema, max: 4 });
const engine = createEngine({
  store,
  workflows: [poison, healthy],
  leaseMs: config.leaseMs,
  pollIntervalMs: 100,
  observers: [
    {
      onEvent(event) {
        if (event.type !== "workflow.dead-lettered") return;
        const { workflowId, recoveryAttempts: attempts } = event;
        printMarker<CrashLoopMarker>({ kind: "dead-lettered", workflowId, attempts });
      },
    },
  ],
  plugins: [
    createQueues({
      store: createPgQueueStore(store),
      serve: [defineQueue("loop")],
      pollIntervalMs: 100,
    }),
  ],
});
await engine.launch();
printMarker<CrashLoopMarker>({ kind: "ready", pid: process.pid });
