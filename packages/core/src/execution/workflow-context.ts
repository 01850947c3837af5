/**
 * The object a workflow body receives as `ctx`: exactly the members of `WorkflowContext`, each a
 * thin call into the run's journal or the communication code — and nothing else, so user code
 * cannot reach the store, the engine or the run's internals through it. `step()`, `workflow()`
 * and `runDurableOperation` find their durable calls behind it under a private symbol.
 */
import { randomUUID } from "node:crypto";
import { parseChannel } from "../channels.js";
import type { WorkflowContext } from "../context.js";
import { toMs } from "../duration.js";
import { InvalidOptionError } from "../errors.js";
import * as communication from "./communication.js";
import { durableCalls, startChild } from "./durable-calls.js";
import { enqueueChild } from "./enqueue-child.js";
import type { WorkflowDefinition } from "../workflow.js";
import type { Journal } from "./journal.js";
import { attachOperations } from "./operations.js";
import { deprecatePatch, patched } from "./patches.js";
import { sleep } from "./suspending-waits.js";

/** The context of the run `journal` records. */
export function createWorkflowContext(journal: Journal): WorkflowContext {
  const { host } = journal;
  const channels = journal.definition.channels;
  /**
   * Streams this run closed: writing to one again is a mistake, caught before it is recorded.
   * Made at the first close (most runs close none).
   */
  let closedStreams: Set<string> | undefined;
  const assertStreamOpen = (key: string): void => {
    if (closedStreams?.has(key)) {
      throw new InvalidOptionError(`stream "${key}"`, "it was closed by this workflow");
    }
  };

  const ctx: WorkflowContext = {
    workflowId: journal.workflowId,
    workflowName: journal.workflowName,
    log: journal.log,
    async sleep(duration) {
      return sleep(journal, toMs(duration, "ctx.sleep duration"));
    },
    now: () => journal.internal("cairn.now", () => host.clock.now()),
    random: () => journal.internal("cairn.random", () => Math.random()),
    uuid: () => journal.internal("cairn.uuid", () => randomUUID()),
    start: (child, input, options) =>
      // Only workflow() makes a "~cairn" that fits; the start path checks it is registered.
      startChild(journal, child["~cairn"] as WorkflowDefinition, input, options) as Promise<never>,
    enqueue: (queue, child, input, options) =>
      enqueueChild(
        journal,
        queue,
        child["~cairn"] as WorkflowDefinition,
        input,
        options,
      ) as Promise<never>,
    send(destination, topic, message) {
      const destinationId = typeof destination === "string" ? destination : destination.workflowId;
      return communication.send(journal, destinationId, topic, message);
    },
    async recv(topic, options) {
      const message = await communication.recv(journal, topic, options);
      // A timed-out recv is undefined: nothing arrived, so there is nothing to validate.
      if (message === undefined) return undefined;
      return await parseChannel(channels, "messages", topic, message);
    },
    async setEvent(key, value) {
      const position = journal.takePosition();
      const parsed = await parseChannel(channels, "events", key, value);
      return communication.setEvent(journal, position, key, parsed);
    },
    getEvent: (workflowId, key, options) =>
      communication.getEvent(journal, workflowId, key, options),
    async writeStream(key, value) {
      assertStreamOpen(key);
      const position = journal.takePosition();
      const parsed = await parseChannel(channels, "streams", key, value);
      return communication.writeStream(journal, position, key, parsed, false);
    },
    async closeStream(key) {
      assertStreamOpen(key);
      (closedStreams ??= new Set()).add(key);
      return communication.writeStream(journal, journal.takePosition(), key, undefined, true);
    },
    race: (branches) => communication.race(journal, branches) as Promise<never>,
    patched: (name) => patched(journal, name),
    deprecatePatch: (name) => deprecatePatch(journal, name),
  };
  attachOperations(ctx, durableCalls(journal));
  return ctx;
}
