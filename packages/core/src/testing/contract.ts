/**
 * `@cairn/core/testing/contract`: the store contract suite every `WorkflowStore` must pass — ours
 * (memory, PGlite, Postgres) and any third party's. It registers vitest tests, so it imports
 * vitest (an optional peer dependency of `@cairn/core`).
 */
export { describeStoreContract, type StoreContractFactory } from "./store-contract/index.js";
