/**
 * `@cairn/core/testing`: what a store author or a test needs — the in-memory store and the
 * contract suite every `WorkflowStore` must pass.
 */
export { createMemoryStore, type MemoryStore, type MemoryStoreOptions } from "./memory-store.js";
export { describeStoreContract, type StoreContractFactory } from "./store-contract/index.js";
