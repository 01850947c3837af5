/**
 * A fork's options checked and turned into the store's `ForkRequest`, the same way for an engine
 * and a client: the position, the new ID, the version, the deadline (the caller's clock plus
 * `timeoutMs`; on a queue, the timeout goes with the item and counts from the claim) and the
 * queue. A bad option is an `InvalidOptionError` before anything is written.
 */
import { randomUUID } from "node:crypto";
import { toMs } from "../duration.js";
import type { ForkOptions } from "../engine-options.js";
import { InvalidOptionError } from "../errors.js";
import type { ForkQueue, ForkRequest } from "../store/control-store.js";
import { assertWorkflowId } from "../workflow-id.js";

/** Who forks: the owner a direct fork gets, its default version, and the clock for deadlines. */
export interface Forker {
  readonly executorId: string;
  readonly appVersion: string | undefined;
  readonly now: number;
}

/** The store's request for forking `sourceId` with `options`. */
export function forkRequest(sourceId: string, options: ForkOptions, forker: Forker): ForkRequest {
  const { fromStep } = options;
  if (!Number.isInteger(fromStep) || fromStep < 0) {
    throw new InvalidOptionError("fromStep", "expected an integer position >= 0");
  }
  const newId = options.id === undefined ? randomUUID() : assertWorkflowId(options.id);
  const appVersion = options.appVersion ?? forker.appVersion;
  if (appVersion !== undefined && (typeof appVersion !== "string" || appVersion === "")) {
    throw new InvalidOptionError("appVersion", "expected a non-empty string");
  }
  const timeoutMs =
    options.timeoutMs === undefined ? undefined : toMs(options.timeoutMs, "timeoutMs");
  const queue = forkQueue(options, timeoutMs);
  return {
    sourceId,
    newId,
    fromPosition: fromStep,
    executorId: forker.executorId,
    appVersion,
    deadlineAt: queue || timeoutMs === undefined ? undefined : forker.now + timeoutMs,
    queue,
  };
}

const INT32 = 2 ** 31;

function forkQueue(options: ForkOptions, timeoutMs: number | undefined): ForkQueue | undefined {
  const { queue, priority = 0, partitionKey = "" } = options;
  if (queue === undefined) {
    if (options.priority !== undefined || options.partitionKey !== undefined) {
      const option = options.priority === undefined ? "partitionKey" : "priority";
      throw new InvalidOptionError(option, "applies only to a fork onto a queue (queue)");
    }
    return undefined;
  }
  if (typeof queue !== "string" || queue === "") {
    throw new InvalidOptionError("queue", "expected a queue name");
  }
  if (!Number.isInteger(priority) || priority < -INT32 || priority >= INT32) {
    throw new InvalidOptionError("priority", `expected a 32-bit integer, got ${String(priority)}`);
  }
  if (typeof partitionKey !== "string") {
    throw new InvalidOptionError("partitionKey", "expected a string");
  }
  return { queueName: queue, priority, partitionKey, timeoutMs };
}
