/**
 * `@cairn/pg-store/queue`: the Postgres and PGlite implementation of `@cairn/queue`'s
 * `QueueStore`. This barrel is the subpath's whole public surface.
 */
export { createPgQueueStore } from "./pg-queue-store.js";
