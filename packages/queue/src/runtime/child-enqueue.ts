/**
 * The queue runtime's half of `ctx.enqueue`. Core owns the call: its position in the parent's
 * journal, replay, the child's derived ID, its parent link, its inherited deadline and its
 * validated input (decision 0016). This half checks the queue and the options when the call is
 * made — so a bad one throws before anything is recorded or written — and then writes the child's
 * row with its queue item, one `QueueStore.enqueue`. Written again after a crash (before the
 * call's checkpoint), the same row finds the child the first write made.
 */
import { InvalidOptionError, type EnginePlugin } from "@cairn/core";
import { attributesOf, checkEnqueueOptions, enqueuedWorkflow } from "../control/enqueue-by-name.js";
import type { Queue } from "../queue.js";
import type { QueueStore } from "../queue-store.js";

/** Options of the engine's enqueue that a child's enqueue refuses, and why. */
const refused: Readonly<Record<string, string>> = {
  tx: "a child's enqueue is its parent's checkpoint, not part of a caller's transaction",
  dedupId: "a child's ID (derived from its position, or given as id) already makes it unique",
  onDuplicate: "a child's enqueue takes no dedupId",
};

/**
 * `EnginePlugin.enqueueChild` over `store`; `notify` wakes this process's dispatcher when the
 * child is new.
 */
export function childEnqueuer(
  store: QueueStore,
  notify: (queueName: string) => void,
): NonNullable<EnginePlugin["enqueueChild"]> {
  return (target, options) => {
    const queue = queueOf(target);
    const given: unknown = options;
    if (typeof given !== "object" || given === null) {
      throw new InvalidOptionError("options", "expected an object");
    }
    for (const [option, reason] of Object.entries(refused)) {
      if (option in options) throw new InvalidOptionError(option, reason);
    }
    const fields = checkEnqueueOptions(queue.name, queue.options.partitioned === true, options);
    const attributes = attributesOf(options);
    return async (child) => {
      const result = await store.enqueue({
        ...fields,
        workflow: { ...child, ...attributes },
        queueName: queue.name,
      });
      const found = enqueuedWorkflow(result, queue.name, child.name, {});
      if (found.created) notify(queue.name);
      return found.workflowId;
    };
  };
}

/** The queue a `ctx.enqueue` names: one made by `defineQueue` (core checked it has a name). */
function queueOf(target: { readonly name: string }): Queue {
  const { options } = target as Partial<Queue>;
  if (typeof options !== "object" || (options as unknown) === null) {
    throw new InvalidOptionError("queue", `"${target.name}" is not a queue made by defineQueue()`);
  }
  return target as Queue;
}
