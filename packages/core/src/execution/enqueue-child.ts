/**
 * `ctx.enqueue`: a child workflow put on a queue from inside its parent, as one durable call.
 * Core keeps everything a replay depends on — the position, the child's ID (derived from the
 * parent's), its parent link, its inherited deadline, its validated input — and hands the row to
 * the engine's queue plugin (`EnginePlugin.enqueueChild`), which checks the queue options when
 * the call is made and writes the row with its queue item. A replay returns the recorded child's
 * handle and writes nothing. It does not run the child: a process serving the queue claims it.
 */
import type { ChildEnqueueOptions, EnqueueTarget } from "../context.js";
import { InvalidOptionError } from "../errors.js";
import type { WorkflowHandle } from "../handle.js";
import type { ChildEnqueueWrite, EnginePlugin } from "../plugin.js";
import { QUEUED_EXECUTOR } from "../store/executor-ids.js";
import type { WorkflowDefinition } from "../workflow.js";
import { assertWorkflowId } from "../workflow-id.js";
import { childHandle } from "./communication.js";
import { childCheckpoint } from "./durable-calls.js";
import type { Journal } from "./journal.js";

/**
 * Enqueues a child (or finds it, on replay) and returns its handle. The queue and options are
 * checked before a position is taken, on every run: a bad call records nothing, and throws again
 * on replay, so the code takes the same path. Only an engine without a queue plugin (a
 * replay-only engine has none) skips the check, when the call's enqueue is recorded or a
 * replay-only run reached the end of its history: nothing is written then (decision 0016).
 */
export async function enqueueChild(
  journal: Journal,
  queue: EnqueueTarget,
  definition: WorkflowDefinition,
  input: unknown,
  options: ChildEnqueueOptions = {},
): Promise<WorkflowHandle<unknown>> {
  const { host } = journal;
  const name = `enqueue:${definition.name}`;
  if (options.id !== undefined) assertWorkflowId(options.id);
  const write = host.enqueueChild(queue, options);
  const recorded = journal.nextRecordedName;
  if (!write && !(recorded === name || (recorded === undefined && host.replayOnly))) {
    throw new InvalidOptionError(
      "queue",
      `this engine has no queue runtime to put a child on "${queue.name}": ` +
        "add createQueues(...) to createEngine({ plugins })",
    );
  }
  const childId = await journal.operation<string>(name, async (position, startedAt) => {
    if (!write) throw journal.storeFailed(name, new Error("no queue plugin to write the child"));
    return childCheckpoint(journal, { position, name, startedAt }, async () =>
      write({
        workflowId: options.id ?? `${journal.workflowId}:${position}`,
        name: definition.name,
        input: await host.serializeInput(definition, input),
        executorId: QUEUED_EXECUTOR,
        appVersion: host.appVersion,
        status: "ENQUEUED",
        queueName: queue.name,
        parentWorkflowId: journal.workflowId,
        // With a timeout of its own, the child's deadline is set at its claim (the queue's rule).
        deadlineAt: options.timeoutMs === undefined ? journal.deadlineAt : undefined,
        traceContext: host.observers.carrier(journal.run),
      }),
    );
  });
  return childHandle(journal, host.handle(childId, definition));
}

/**
 * The write of a `ctx.enqueue` call, from the first of `plugins` that enqueues children, which
 * checks `queue` and `options` now; `undefined` when no plugin enqueues children.
 * @throws InvalidOptionError when `queue` is not a queue, or what the plugin throws for a bad
 *   option.
 */
export function childEnqueueWrite(
  plugins: readonly EnginePlugin[],
  queue: EnqueueTarget,
  options: ChildEnqueueOptions,
): ChildEnqueueWrite | undefined {
  const given: unknown = queue; // from JavaScript, anything can arrive
  if (typeof given !== "object" || given === null || typeof queue.name !== "string") {
    throw new InvalidOptionError("queue", "expected a queue made by defineQueue()");
  }
  return plugins.find((p) => p.enqueueChild !== undefined)?.enqueueChild?.(queue, options);
}
