/**
 * `forkWorkflow` of the memory store: the new workflow, what was recorded before the fork point
 * (checkpoints, stream entries, each event's value as it stood, with its history), and for a fork
 * onto a queue, its place in the memory queue store kept beside these tables.
 */
import { InvalidOptionError } from "../../errors.js";
import { QUEUED_EXECUTOR } from "../../store/executor-ids.js";
import type { ForkRequest } from "../../store/control-store.js";
import type { CreateWorkflowResult } from "../../store/running-store.js";
import { pairKey, type MemoryTables, type StoredStreamEntry } from "./tables.js";

/** Forks as the store contract says; `undefined` when the source does not exist. */
export function forkInMemory(t: MemoryTables, fork: ForkRequest): CreateWorkflowResult | undefined {
  const source = t.workflows.get(fork.sourceId)?.record;
  if (!source) return undefined;
  const { queue } = fork;
  const queues = t.extensions.find((e) => e.enqueuesFork !== undefined);
  if (queue && !queues) {
    throw new InvalidOptionError("queue", "this store has no queue store beside it to enqueue on");
  }
  const result = t.insertWorkflow(
    {
      workflowId: fork.newId,
      name: source.name,
      input: source.input,
      executorId: queue ? QUEUED_EXECUTOR : fork.executorId,
      attributes: source.attributes,
      appVersion: fork.appVersion,
      deadlineAt: queue ? undefined : fork.deadlineAt,
      ...(queue ? { status: "ENQUEUED", queueName: queue.queueName } : {}),
    },
    fork.sourceId,
  );
  if (!result.created) return result;
  copyRecorded(t, fork);
  const stored = t.workflows.get(fork.newId);
  if (queue && stored) {
    stored.record = {
      ...stored.record,
      priority: queue.priority,
      partitionKey: queue.partitionKey === "" ? undefined : queue.partitionKey,
    };
    queues?.enqueuesFork?.(stored.record, queue);
  }
  const workflow = stored?.record ?? result.workflow;
  t.notifyStatus(workflow);
  return { created: true, workflow };
}

/** Copies checkpoints, stream entries and event values recorded before `fromPosition`. */
function copyRecorded(t: MemoryTables, { sourceId, newId, fromPosition }: ForkRequest): void {
  const before = (position: number) => position < fromPosition;
  for (const step of t.steps.get(sourceId)?.values() ?? []) {
    if (before(step.position)) t.insertStep({ ...step, workflowId: newId });
  }
  for (const [streamKey, entries] of t.streams) {
    const [workflowId, key] = JSON.parse(streamKey) as [string, string];
    if (workflowId !== sourceId) continue;
    const kept = [...entries].filter(([position]) => before(position));
    if (kept.length > 0) {
      t.streams.set(pairKey(newId, key), new Map<number, StoredStreamEntry>(kept));
    }
  }
  const history = [...(t.eventHistory.get(sourceId) ?? [])]
    .filter(([position]) => before(position))
    .sort(([a], [b]) => a - b);
  if (history.length === 0) return;
  t.eventHistory.set(newId, new Map(history));
  for (const [, write] of history) t.events.set(pairKey(newId, write.key), write.value);
}
