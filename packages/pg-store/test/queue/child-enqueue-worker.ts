/**
 * A worker process for `child-enqueue-crash.test.ts`: an engine on a real Postgres whose
 * `fanOut` workflow enqueues three children with `ctx.enqueue` and then waits for their results.
 * Every write that reaches the queue store is announced (`enqueue-call`), and the parent announces
 * when its enqueues are done (`enqueued`, printed again by each replay), so the test can SIGKILL
 * the process right after them and count the writes of the process that resumes. With `serve`,
 * it also runs the children's queue. Prints `ready` once launched.
 */
import { createEngine, step, workflow } from "@cairn/core";
import { createQueues, defineQueue, type QueueStore } from "@cairn/queue";
import { createPgStore } from "../../src/index.js";
import { createPgQueueStore } from "../../src/queue/index.js";
import { printMarker, programConfig } from "../crash/marked-process.js";

export interface ChildEnqueueWorkerConfig {
  readonly url: string;
  readonly schema: string;
  readonly executorId: string;
  /** Run the children's queue in this process. */
  readonly serve: boolean;
  /** Start the parent (ID `parentId`) once launched. */
  readonly start: boolean;
  readonly parentId: string;
}

export type ChildEnqueueMarker =
  | { readonly kind: "ready"; readonly pid: number }
  | { readonly kind: "enqueue-call"; readonly workflowId: string }
  | { readonly kind: "enqueued"; readonly children: readonly string[] }
  | { readonly kind: "child-ran"; readonly label: string };

const config = programConfig<ChildEnqueueWorkerConfig>();

const mail = defineQueue("crash-mail", { concurrency: 2 });
const deliver = step("deliver", (label: string) => {
  printMarker<ChildEnqueueMarker>({ kind: "child-ran", label });
  return `delivered ${label}`;
});
const child = workflow({ name: "child" }, async (ctx, label: string) => deliver(ctx, label));
const fanOut = workflow({ name: "fanOut" }, async (ctx, labels: string[]) => {
  const handles = await Promise.all(labels.map((label) => ctx.enqueue(mail, child, label)));
  printMarker<ChildEnqueueMarker>({ kind: "enqueued", children: handles.map((h) => h.workflowId) });
  return Promise.all(handles.map((handle) => handle.result()));
});

const store = createPgStore({ url: config.url, schema: config.schema, max: 4 });
const pgQueues = createPgQueueStore(store);
const queues: QueueStore = {
  ...pgQueues,
  enqueue: (item, options) => {
    printMarker<ChildEnqueueMarker>({ kind: "enqueue-call", workflowId: item.workflow.workflowId });
    return pgQueues.enqueue(item, options);
  },
};
const engine = createEngine({
  store,
  workflows: [fanOut, child],
  executorId: config.executorId,
  pollIntervalMs: 100,
  plugins: [
    createQueues({ store: queues, serve: config.serve ? [mail] : [], pollIntervalMs: 100 }),
  ],
});
await engine.launch();
printMarker<ChildEnqueueMarker>({ kind: "ready", pid: process.pid });
if (config.start) await engine.start(fanOut, ["x", "y", "z"], { id: config.parentId });
