/**
 * What an operator reads beyond the `WorkflowStore` contract, on the same database, connection
 * and schema as a `PgStore`: the schema's migration state (for `cairn migrate --check`), a
 * workflow's messages, events and streams, the queues that hold work, and how many running
 * workflows each executor owns. It only reads; workflows are steered through core's client.
 */
import { defaultSerializer, type Serializer } from "@cairn/core";
import { StoreClosedError } from "../errors.js";
import { embeddedMigrations } from "../migrations/embedded.js";
import {
  appliedVersion,
  databaseNow,
  executorLoad,
  inspectionStatements,
  listEvents,
  listMessages,
  listQueueActivity,
  listStreams,
  searchWorkflowIds,
  type QueueActivity,
  type StreamSummary,
} from "../queries/inspection.js";
import type { PgStore } from "../sql-store.js";
import { connectionOf } from "../store-connection.js";

export type { QueueActivity, StreamSummary };

/**
 * Where the schema stands against the migrations this package embeds.
 * - `missing`: no schema or no migrations table: nothing was ever migrated.
 * - `behind`: migrations are pending (`pending` lists them).
 * - `current`: every embedded migration is applied.
 * - `ahead`: migrated by a newer version of Cairn than this one.
 */
export interface SchemaStatus {
  readonly schema: string;
  readonly state: "missing" | "behind" | "current" | "ahead";
  /** The newest applied migration; 0 when `missing`. */
  readonly appliedVersion: number;
  /** The newest migration this package knows. */
  readonly latestVersion: number;
  readonly pending: readonly { readonly version: number; readonly name: string }[];
}

/** A message sent to a workflow, decoded. */
export interface MessageInfo {
  readonly messageId: string;
  readonly topic: string;
  readonly message: unknown;
  readonly sentAt: Date;
  /** When a `recv` took it; `undefined` while it waits. */
  readonly consumedAt: Date | undefined;
}

/** An event's current value, decoded. */
export interface EventInfo {
  readonly key: string;
  readonly value: unknown;
  readonly updatedAt: Date;
}

/** Read-only views for operators. Create with {@link createPgInspector}. */
export interface PgInspector {
  /** The schema's migration state; never creates or changes anything. */
  schemaStatus(): Promise<SchemaStatus>;
  /** Every message sent to the workflow, waiting or consumed, in send order. */
  listMessages(workflowId: string): Promise<MessageInfo[]>;
  /** The workflow's events with their current values, by key. */
  listEvents(workflowId: string): Promise<EventInfo[]>;
  /** The workflow's streams (read their values with the client's `readStream`). */
  listStreams(workflowId: string): Promise<StreamSummary[]>;
  /**
   * Every queue that holds a workflow, with its waiting and running counts and how many of its
   * workflows finished within the last `windowMs` (default 5 minutes, store clock).
   */
  listQueues(options?: { readonly windowMs?: number }): Promise<QueueActivity[]>;
  /**
   * IDs of the newest workflows (up to `limit`, default 100) whose ID starts with `text` or
   * whose name contains it (case-insensitive); list them with the client's `listWorkflows`.
   */
  searchWorkflowIds(text: string, options?: { readonly limit?: number }): Promise<string[]>;
  /** How many `PENDING` workflows each executor owns (executors owning none are absent). */
  executorLoad(): Promise<ReadonlyMap<string, number>>;
  /** The database clock in epoch ms: compare heartbeats and timestamps against it. */
  now(): Promise<number>;
}

const FIVE_MINUTES_MS = 5 * 60_000;

/**
 * Creates the inspector of `store` (from `createPgStore` or `createPgliteStore`). It shares the
 * store's connections; closing the store ends it. `serializer` decodes the values it lists
 * (messages, events): pass `createSerializer(yourSerialization)`. Default: devalue, no codec.
 *
 * @example
 * const store = createPgStore({ url });
 * const status = await createPgInspector(store).schemaStatus();
 * if (status.state !== "current") process.exitCode = 1;
 */
export function createPgInspector(
  store: PgStore,
  serializer: Serializer = defaultSerializer,
): PgInspector {
  const internals = connectionOf(store);
  if (!internals) {
    throw new TypeError(
      "createPgInspector: pass a store made by createPgStore or createPgliteStore",
    );
  }
  const { db, names } = internals;
  const q = inspectionStatements(names);
  const open = <T>(method: string, fn: () => Promise<T>): Promise<T> =>
    internals.isClosed() ? Promise.reject(new StoreClosedError(`inspect.${method}`)) : fn();

  return {
    schemaStatus: () =>
      open("schemaStatus", async () =>
        toSchemaStatus(names.schema, await appliedVersion(db, q, names)),
      ),
    listMessages: (workflowId) =>
      open("listMessages", async () =>
        (await listMessages(db, q, workflowId)).map((m) => ({
          messageId: m.messageId,
          topic: m.topic,
          message: serializer.deserialize(m.message),
          sentAt: new Date(m.createdAt),
          consumedAt: m.consumedAt === undefined ? undefined : new Date(m.consumedAt),
        })),
      ),
    listEvents: (workflowId) =>
      open("listEvents", async () =>
        (await listEvents(db, q, workflowId)).map((e) => ({
          key: e.key,
          value: serializer.deserialize(e.value),
          updatedAt: new Date(e.updatedAt),
        })),
      ),
    listStreams: (workflowId) => open("listStreams", () => listStreams(db, q, workflowId)),
    listQueues: (options = {}) =>
      open("listQueues", () => listQueueActivity(db, q, options.windowMs ?? FIVE_MINUTES_MS)),
    searchWorkflowIds: (text, options = {}) =>
      open("searchWorkflowIds", () => searchWorkflowIds(db, q, text, options.limit ?? 100)),
    executorLoad: () => open("executorLoad", () => executorLoad(db, q)),
    now: () => open("now", () => databaseNow(db, q)),
  };
}

function toSchemaStatus(schema: string, applied: number | undefined): SchemaStatus {
  const latestVersion = embeddedMigrations.at(-1)?.version ?? 0;
  const appliedVersion = applied ?? 0;
  const pending = embeddedMigrations
    .filter((m) => m.version > appliedVersion)
    .map(({ version, name }) => ({ version, name }));
  const state =
    applied === undefined
      ? "missing"
      : appliedVersion > latestVersion
        ? "ahead"
        : pending.length > 0
          ? "behind"
          : "current";
  return { schema, state, appliedVersion, latestVersion, pending };
}
