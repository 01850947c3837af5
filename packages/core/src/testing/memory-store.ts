/**
 * An in-memory `WorkflowStore`: the reference implementation of the store contract, for unit
 * tests and for trying Cairn without a database. It keeps nothing across processes, so it proves
 * semantics, not durability. One file per role under `memory/`, as the contract is split in
 * `store/`; they share the tables and rules of `memory/tables.ts`. Notifications go to
 * `subscribe` listeners in a microtask queued after the change is applied, so listeners never
 * run inside the writing call (as with Postgres, where they arrive after commit).
 */
import type { WorkflowStore } from "../store/workflow-store.js";
import { memoryControl } from "./memory/control.js";
import { memoryLifecycle } from "./memory/lifecycle.js";
import { memoryMessaging } from "./memory/messaging.js";
import { memoryOwnership } from "./memory/ownership.js";
import { memoryRunning } from "./memory/running.js";
import { memorySuspension } from "./memory/suspension.js";
import { MemoryTables, type StoreMethod } from "./memory/tables.js";

export type {
  StoreMethod,
  MemoryTables,
  MemoryTablesExtension,
  StoredWorkflow,
  StoredExecutor,
} from "./memory/tables.js";

/** Options of {@link createMemoryStore}. */
export interface MemoryStoreOptions {
  /** Source of timestamps; defaults to `Date.now`. */
  readonly now?: () => number;
}

/** A `WorkflowStore` held in this process's memory. */
export interface MemoryStore extends WorkflowStore {
  /** How many calls each method received: lets tests assert the engine's write pattern. */
  readonly calls: Readonly<Record<StoreMethod, number>>;
  /**
   * The seam for stores that live beside this one on the same rows, as `PgStore.connection` is
   * for the SQL store: `createMemoryQueueStore` of `@cairn/queue/testing` reads and writes the
   * workflows of queued work here and registers its queue items as an extension. Not a second
   * way to write workflows: tests use the store's methods.
   */
  readonly tables: MemoryTables;
}

/** Creates an empty in-memory store. */
export function createMemoryStore(options: MemoryStoreOptions = {}): MemoryStore {
  const tables = new MemoryTables(options.now ?? Date.now);
  return {
    calls: tables.calls,
    tables,
    ...memoryRunning(tables),
    ...memoryMessaging(tables),
    ...memoryOwnership(tables),
    ...memoryControl(tables),
    ...memoryLifecycle(tables),
    ...memorySuspension(tables),
  };
}
