/**
 * What the dashboard reads and steers through: core's client (list, steps, cancel, resume, fork,
 * stream values), pg-store's read-only inspector, the queue store's counts, and the store itself
 * for executors and change notifications. `cairn dashboard` hands over its open connection;
 * `createDashboard` builds these from a store.
 */
import type { Client } from "@cairn/core";
import type { PgStore } from "@cairn/pg-store";
import type { PgInspector } from "@cairn/pg-store/inspect";
import type { QueueStore } from "@cairn/queue";

export interface DashboardSources {
  readonly store: PgStore;
  readonly client: Client;
  readonly inspector: PgInspector;
  readonly queues: QueueStore;
}
