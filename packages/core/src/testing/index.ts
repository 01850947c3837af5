/**
 * `@cairn/core/testing`: the in-memory store, for tests and for trying Cairn without a database.
 * It needs no test runner; the contract suite every `WorkflowStore` must pass is
 * `@cairn/core/testing/contract` (that one imports vitest).
 */
export {
  createMemoryStore,
  type MemoryStore,
  type MemoryStoreOptions,
  type StoreMethod,
} from "./memory-store.js";
