/**
 * `@cairn/queue/testing`: the in-memory queue store, to run queues and schedules in tests without
 * a database. It needs no test runner; the contract suite every `QueueStore` must pass is
 * `@cairn/queue/testing/contract` (that one imports vitest). See docs/testing.md.
 */
export { createMemoryQueueStore } from "./memory-queue-store.js";
