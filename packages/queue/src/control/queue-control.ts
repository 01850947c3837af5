/**
 * Runtime control of queues, the same from an engine's queue runtime and from a client: set or
 * lift limits (stored; every process applies them at its next claim, so within its poll
 * interval at most), list the queues the database knows, and change the priority or start time
 * of a workflow that still waits in its queue. It validates and translates; the store does the
 * work in one statement each.
 */
import { InvalidOptionError } from "@cairn/core";
import { WorkflowNotWaitingError } from "../errors.js";
import { checkMs, checkQueueOptions } from "../queue.js";
import type { QueueCounts, QueueLimitsPatch, QueueRecord, QueueStore } from "../queue-store.js";

const MIN_PRIORITY = -(2 ** 31);
const MAX_PRIORITY = 2 ** 31 - 1;

/** When a waiting workflow should start instead. */
export type NewStart = { readonly delayMs: number } | { readonly startAt: Date };

/** Runtime control of queues. */
export interface QueueControl {
  /**
   * Sets limits of a queue at runtime, one by one, for every process (in force at each one's
   * next claim): a number replaces the limit defined in code, `null` lifts it, a key left out
   * keeps what was set before (or the definition's). Returns the queue as now stored.
   * @throws InvalidOptionError for a limit that is not a positive integer (or a bad rate limit).
   * @example await queues.setQueueLimits("emails", { concurrency: 5, rateLimit: null });
   */
  setQueueLimits(queueName: string, limits: QueueLimitsPatch): Promise<QueueRecord>;
  /** Drops every limit set at runtime: the definitions in code apply again. */
  resetQueueLimits(queueName: string): Promise<QueueRecord>;
  /** The queue as stored (definition recorded by serving processes, runtime limits). */
  getQueue(queueName: string): Promise<QueueRecord | undefined>;
  /** Every queue the database knows: served somewhere, or given runtime limits. */
  listQueues(): Promise<QueueRecord[]>;
  /**
   * Changes the priority of a workflow waiting in its queue (lower runs first).
   * @throws WorkflowNotWaitingError when it is not waiting (already started, finished, unknown).
   */
  setPriority(workflowId: string, priority: number): Promise<void>;
  /**
   * Moves the start of a workflow waiting in its queue: `delayMs` from now, or at `startAt`
   * (now or in the past: at once).
   * @throws WorkflowNotWaitingError when it is not waiting.
   */
  setDelay(workflowId: string, start: NewStart): Promise<void>;
  /** The queue's workflows by status, and how many enqueued ones wait for their delay. */
  counts(queueName: string): Promise<QueueCounts>;
}

/** Hooks of the process the control runs in (an engine's dispatcher claims again at once). */
export interface QueueControlHooks {
  /** Before each operation: throws when the engine or client is not usable. */
  readonly assertOpen: (operation: string) => void;
  /** A queue's limits changed. */
  readonly limitsChanged?: (queueName: string) => void;
}

/** Creates the queue control over `store`. */
export function createQueueControl(store: QueueStore, hooks: QueueControlHooks): QueueControl {
  const { assertOpen } = hooks;
  return {
    async setQueueLimits(queueName, limits) {
      assertOpen("setQueueLimits");
      checkQueueName(queueName);
      checkPatch(limits);
      const record = await store.setQueueLimits(queueName, limits);
      hooks.limitsChanged?.(queueName);
      return record;
    },
    async resetQueueLimits(queueName) {
      assertOpen("resetQueueLimits");
      checkQueueName(queueName);
      const record = await store.setQueueLimits(queueName, undefined);
      hooks.limitsChanged?.(queueName);
      return record;
    },
    getQueue: (queueName) => {
      assertOpen("getQueue");
      return store.getQueue(queueName);
    },
    listQueues: () => {
      assertOpen("listQueues");
      return store.listQueues();
    },
    async setPriority(workflowId, priority) {
      assertOpen("setPriority");
      checkPriority(priority);
      if (!(await store.setPriority(workflowId, priority))) {
        throw new WorkflowNotWaitingError(workflowId, "set the priority");
      }
    },
    async setDelay(workflowId, start) {
      assertOpen("setDelay");
      if (!(await store.setAvailability(workflowId, availability(start)))) {
        throw new WorkflowNotWaitingError(workflowId, "set the delay");
      }
    },
    counts: (queueName) => {
      assertOpen("counts");
      return store.counts(queueName);
    },
  };
}

/** A queue priority: a 32-bit integer. */
export function checkPriority(priority: number): void {
  if (!Number.isInteger(priority) || priority < MIN_PRIORITY || priority > MAX_PRIORITY) {
    throw new InvalidOptionError("priority", `expected a 32-bit integer, got ${String(priority)}`);
  }
}

function checkQueueName(name: string): void {
  if (typeof name !== "string" || name === "") {
    throw new InvalidOptionError("queueName", "expected a queue name");
  }
}

const LIMIT_KEYS = new Set(["concurrency", "totalConcurrency", "workerConcurrency", "rateLimit"]);

function checkPatch(patch: QueueLimitsPatch): void {
  if (typeof patch !== "object" || patch === null) {
    throw new InvalidOptionError("limits", "expected an object of limits");
  }
  for (const key of Object.keys(patch)) {
    if (!LIMIT_KEYS.has(key)) throw new InvalidOptionError(key, "not a queue limit");
  }
  const set = Object.fromEntries(
    Object.entries(patch).filter(([, value]) => value !== null && value !== undefined),
  );
  checkQueueOptions(set);
}

function availability(start: NewStart) {
  if ("startAt" in start) {
    if (!(start.startAt instanceof Date) || !Number.isFinite(start.startAt.getTime())) {
      throw new InvalidOptionError("startAt", "expected a valid Date");
    }
    return { availableAt: start.startAt.getTime() };
  }
  checkMs(start.delayMs, "delayMs");
  if (start.delayMs === undefined)
    throw new InvalidOptionError("delayMs", "expected delayMs or startAt");
  return { delayMs: start.delayMs };
}
