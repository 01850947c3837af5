/**
 * Workflow handles: a result read from the local run when the workflow runs in this process,
 * else from the store, waking on status notifications and polling as the fallback. A handle also
 * sends, reads events and reads streams, validated by the workflow's declared channels when the
 * handle knows its definition.
 */
import { parseChannel, type ChannelSchemas } from "../channels.js";
import { StoreUnavailableError, WorkflowNotFoundError } from "../errors.js";
import type { WorkflowHandle } from "../handle.js";
import type { HandleSource } from "./handle-source.js";
import type { RunOutcome } from "./run-outcome.js";
import { resultOf, statusInfo } from "./record-info.js";
import { timeoutOf, waitForWorkflows } from "./wait-handles.js";
import type { Watch } from "./wakeups.js";

const FIRST_POLL_MS = 10;

/** Creates a handle; it does no I/O until used. */
export function createHandle<Out>(
  workflowId: string,
  source: HandleSource,
  channels?: ChannelSchemas,
): WorkflowHandle<Out> {
  return {
    workflowId,
    async result(options) {
      // With a timeout: wait for it to finish (or give up) first; the result is then at hand.
      if (timeoutOf(options) !== undefined) {
        await waitForWorkflows(source, [workflowId], "all", options);
      }
      return awaitResult<Out>(workflowId, source);
    },
    async status() {
      source.assertOpen();
      const record = await source.store.getWorkflow(workflowId);
      if (!record) throw new WorkflowNotFoundError(workflowId);
      return statusInfo(record);
    },
    async send(topic, message, options) {
      if (!channels) return source.operator.send(workflowId, topic, message, options);
      const parsed = await parseChannel(channels, "messages", topic, message);
      return source.operator.send(workflowId, topic, parsed, options, true);
    },
    async getEvent(key, options) {
      const value = await source.operator.getEvent(workflowId, key, options);
      return value === undefined ? undefined : await parseChannel(channels, "events", key, value);
    },
    readStream(key, options) {
      return source.operator.readStream(workflowId, key, options, channels) as never;
    },
  };
}

async function awaitResult<Out>(workflowId: string, source: HandleSource): Promise<Out> {
  // A run here (every `engine.run`): its outcome, with no watch and no read, when it finished.
  source.assertOpen();
  const local = source.localRun(workflowId);
  if (local) {
    const outcome = await local;
    if (outcome.kind === "finished") return finishedResult<Out>(outcome, source);
    if (outcome.kind === "cancelled") throw outcome.error;
    if (outcome.kind === "interrupted") stillOpen(source, outcome.error);
  }
  const watch = source.wakeups.watch(`status:${workflowId}`);
  try {
    return await pollResult<Out>(workflowId, source, watch);
  } finally {
    watch.close();
  }
}

/** The result of a run that finished here: its output, or its error thrown. */
function finishedResult<Out>(
  outcome: Extract<RunOutcome, { kind: "finished" }>,
  source: HandleSource,
): Out {
  if (outcome.status === "ERROR") throw source.serializer.deserialize(outcome.error);
  return source.serializer.deserialize<Out>(outcome.output);
}

/** Throws `error` (why a run here stopped) when the engine is closing: nothing will run it again. */
function stillOpen(source: HandleSource, error: unknown): void {
  try {
    source.assertOpen();
  } catch {
    throw error;
  }
}

const OUTAGE = Symbol("outage");

/** The read's result, or `OUTAGE` when the store is unavailable (any other error is thrown). */
async function readOutage<T>(read: () => Promise<T>): Promise<T | typeof OUTAGE> {
  try {
    return await read();
  } catch (error) {
    if (StoreUnavailableError.is(error)) return OUTAGE;
    throw error;
  }
}

async function pollResult<Out>(
  workflowId: string,
  source: HandleSource,
  watch: Watch,
): Promise<Out> {
  for (let pollMs = FIRST_POLL_MS; ; pollMs = Math.min(pollMs * 2, source.wakeups.pollIntervalMs)) {
    source.assertOpen();
    const local = source.localRun(workflowId);
    if (local) {
      const outcome = await local;
      if (outcome.kind === "cancelled") throw outcome.error;
      // Interrupted here (a store failure): the workflow is still PENDING and runs again, so wait
      // for that — unless this engine is closing. Taken over ("lost"): the new owner's result.
      if (outcome.kind === "interrupted") stillOpen(source, outcome.error);
      if (outcome.kind === "finished") return finishedResult<Out>(outcome, source);
    }
    const record = await readOutage(() => source.store.getWorkflow(workflowId));
    if (record === OUTAGE) {
      await watch.next(pollMs); // the store is away (a restart, a failover): wait it out
      continue;
    }
    if (!record) throw new WorkflowNotFoundError(workflowId);
    if (record.status !== "PENDING" && record.status !== "ENQUEUED")
      return resultOf<Out>(record, source.serializer);
    await watch.next(pollMs);
  }
}
