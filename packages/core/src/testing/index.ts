/**
 * `@cairn/core/testing`: the in-memory store, and the kit for testing your own workflows — a
 * virtual clock (`createVirtualClock`), crash injection (`createCrashTest`) and replay tests
 * (`exportHistory`, `replayHistory`). It needs no test runner; the contract suite every
 * `WorkflowStore` must pass is `@cairn/core/testing/contract` (that one imports vitest). See
 * docs/testing.md.
 */
export {
  createMemoryStore,
  type MemoryStore,
  type MemoryStoreOptions,
  type StoreMethod,
  type MemoryTables,
  type MemoryTablesExtension,
  type StoredWorkflow,
  type StoredExecutor,
} from "./memory-store.js";
export { createVirtualClock, type VirtualClock } from "./virtual-clock.js";
export { createCrashTest, type CrashTest, type CrashTestOptions } from "./crash-test.js";
export {
  exportHistory,
  replayHistory,
  HISTORY_FORMAT,
  type WorkflowHistory,
  type HistoryStep,
  type ReplayReport,
  type ReplayOptions,
} from "./history.js";
