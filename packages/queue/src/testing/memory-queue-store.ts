/**
 * An in-memory `QueueStore` beside a memory workflow store: the reference implementation of the
 * queue store contract, and what lets a test run queues — `createQueues`, schedules, a client's
 * `withQueues` — without a database. Queued workflows are workflows, so it keeps them in the
 * workflow store's own tables (through `MemoryStore.tables`) and only its queue items, queues and
 * schedules beside them; every queue store made over one workflow store shares them. It keeps
 * nothing across processes and cannot write inside a caller's database transaction (`tx` is
 * refused with `InvalidOptionError`). Notifications reach `subscribe` listeners in a microtask
 * after the change, as Postgres delivers them after commit. One file per part under `memory/`.
 */
import type { MemoryStore } from "@cairn/core/testing";
import type { QueueStore } from "../queue-store.js";
import { claimFromMemory } from "./memory/claim.js";
import { memoryQueueControl } from "./memory/queue-control.js";
import { memoryQueueItems } from "./memory/queue-items.js";
import { MemoryQueueTables } from "./memory/queue-tables.js";

/**
 * Creates the queue store of a memory workflow store (`createMemoryStore()` of
 * `@cairn/core/testing`). Closing the workflow store closes it too.
 *
 * @example
 * const store = createMemoryStore();
 * const engine = createEngine({
 *   store,
 *   workflows: [sendEmail],
 *   plugins: [createQueues({ store: createMemoryQueueStore(store), serve: [emails] })],
 * });
 */
export function createMemoryQueueStore(store: MemoryStore): QueueStore {
  if (typeof store !== "object" || store === null || typeof store.tables !== "object") {
    throw new TypeError("createMemoryQueueStore: pass a store made by createMemoryStore");
  }
  const t = MemoryQueueTables.of(store.tables);
  return {
    ...memoryQueueItems(t),
    ...memoryQueueControl(t),
    async claim(request) {
      t.enter("claim");
      return claimFromMemory(t, request);
    },
    async subscribe(listener) {
      t.enter("subscribe");
      t.listeners.add(listener);
      return async () => {
        t.listeners.delete(listener);
      };
    },
  };
}
