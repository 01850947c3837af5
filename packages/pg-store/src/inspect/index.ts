/**
 * `@cairn/pg-store/inspect`: read-only views for operators (the `cairn` CLI and dashboard) on a
 * Postgres or PGlite store. This barrel is the subpath's whole public surface.
 */
export {
  createPgInspector,
  type PgInspector,
  type SchemaStatus,
  type MessageInfo,
  type EventInfo,
  type QueueActivity,
  type StreamSummary,
} from "./pg-inspector.js";
