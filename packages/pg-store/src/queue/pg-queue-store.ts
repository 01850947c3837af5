/**
 * `@cairn/queue`'s `QueueStore` on the same database, connection and schema as a `PgStore`
 * (Postgres or PGlite). It decides only what runs when — how enqueues share statements
 * (`enqueues.ts`), retries of the rare races where a row commits after a statement's snapshot,
 * the claim's transaction, the notification filter; the statements live in
 * `queries/queue-items.ts` and `queries/queue-claim.ts`.
 */
import type { QueueStore } from "@cairn/queue";
import { claimItems, queueClaimStatements } from "../queries/queue-claim.js";
import {
  defineQueues,
  getQueue,
  listQueues,
  queueControlStatements,
  setAvailability,
  setPriority,
  setQueueLimits,
} from "../queries/queue-control.js";
import {
  countItems,
  debounceItem,
  lastTick,
  queueItemStatements,
  recordTick,
  releaseItems,
} from "../queries/queue-items.js";
import {
  createSchedule,
  deleteSchedule,
  getSchedule,
  listSchedules,
  scheduleStatements,
  updateSchedule,
} from "../queries/schedules.js";
import type { PgStore } from "../sql-store.js";
import { callerTransaction } from "../executors/caller-transaction.js";
import { untilSeen, whileOpen } from "../store-calls.js";
import { connectionOf } from "../store-connection.js";
import { createEnqueues } from "./enqueues.js";

/**
 * Creates the queue store of `store` (from `createPgStore` or `createPgliteStore`). It shares the
 * store's connections and needs no `close()` of its own: closing the workflow store ends it.
 *
 * @example
 * const store = createPgStore({ url });
 * const queues = createQueues({ store: createPgQueueStore(store), serve: [emails] });
 */
export function createPgQueueStore(store: PgStore): QueueStore {
  const connection = connectionOf(store);
  if (!connection) {
    throw new TypeError(
      "createPgQueueStore: pass a store made by createPgStore or createPgliteStore",
    );
  }
  const { db, names, exclusive } = connection;
  const itemsQ = queueItemStatements(names);
  const claimQ = queueClaimStatements(names);
  const controlQ = queueControlStatements(names);
  const scheduleQ = scheduleStatements(names);

  const open = whileOpen(() => connection.isClosed(), "queue.");
  const enqueues = createEnqueues(db, itemsQ);
  const callerTx = (options: { tx?: unknown } | undefined) =>
    options?.tx === undefined ? undefined : callerTransaction(options.tx);

  return {
    finishesInClaim: true,
    enqueue: (item, options) => open("enqueue", () => enqueues.one(item, callerTx(options))),
    enqueueMany: (items, options) =>
      open("enqueueMany", () => enqueues.many(items, callerTx(options))),
    debounce: (item) =>
      open("debounce", () =>
        untilSeen(`debounce(${item.key})`, () => debounceItem(db, itemsQ, item)),
      ),
    claim: (request) =>
      open("claim", () => claimItems(db, claimQ, names.schema, request, exclusive)),
    release: (workflowIds, executorId) =>
      open("release", () => releaseItems(db, itemsQ, workflowIds, executorId)),
    counts: (queueName) => open("counts", () => countItems(db, itemsQ, queueName)),
    subscribe: (listener) =>
      open("subscribe", () =>
        db.listen(names.channel, (payload) => {
          const queueName = parseQueuePayload(payload);
          if (queueName !== undefined) listener(queueName);
        }),
      ),
    lastTick: (scheduleName) => open("lastTick", () => lastTick(db, itemsQ, scheduleName)),
    recordTick: (scheduleName, tickAt) =>
      open("recordTick", () => recordTick(db, itemsQ, scheduleName, tickAt)),
    defineQueues: (queues) => open("defineQueues", () => defineQueues(db, controlQ, queues)),
    setQueueLimits: (queueName, patch) =>
      open("setQueueLimits", () => setQueueLimits(db, controlQ, queueName, patch)),
    getQueue: (queueName) => open("getQueue", () => getQueue(db, controlQ, queueName)),
    listQueues: () => open("listQueues", () => listQueues(db, controlQ)),
    setPriority: (workflowId, priority) =>
      open("setPriority", () => setPriority(db, controlQ, workflowId, priority)),
    setAvailability: (workflowId, when) =>
      open("setAvailability", () => setAvailability(db, controlQ, workflowId, when)),
    createSchedule: (schedule) =>
      open("createSchedule", () => createSchedule(db, scheduleQ, schedule)),
    updateSchedule: (schedule, revision) =>
      open("updateSchedule", () => updateSchedule(db, scheduleQ, schedule, revision)),
    deleteSchedule: (name) => open("deleteSchedule", () => deleteSchedule(db, scheduleQ, name)),
    getSchedule: (name) => open("getSchedule", () => getSchedule(db, scheduleQ, name)),
    listSchedules: () => open("listSchedules", () => listSchedules(db, scheduleQ)),
  };
}

/** The queue named by a `["queue", name]` payload; undefined for every other payload. */
export function parseQueuePayload(payload: string): string | undefined {
  if (!payload.startsWith('["queue",')) return undefined;
  try {
    const parsed: unknown = JSON.parse(payload);
    if (Array.isArray(parsed) && parsed.length === 2 && typeof parsed[1] === "string") {
      return parsed[1];
    }
  } catch {
    // not ours
  }
  return undefined;
}
