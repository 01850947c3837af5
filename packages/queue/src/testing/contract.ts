/**
 * `@cairn/queue/testing/contract`: the queue store contract suite every `QueueStore` must pass —
 * ours (memory, PGlite, Postgres) and any third party's. It registers vitest tests, so it imports
 * vitest (an optional peer dependency of `@cairn/queue`).
 */
export {
  describeQueueStoreContract,
  type QueueStoreContractFactory,
  type QueueStoreContractSetup,
} from "./queue-contract/index.js";
