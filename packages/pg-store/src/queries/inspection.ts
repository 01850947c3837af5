/**
 * Read-only statements for operators (the `cairn` CLI and dashboard): the schema's migration
 * version, a workflow's messages, events and stream keys, the queues that hold work and what
 * they finished lately, and how many running workflows each executor owns. None of them writes,
 * and none is on an engine's hot path.
 */
import type { SqlQueryable } from "../executors/sql-executor.js";
import type { SchemaNames } from "../schema-names.js";
import { NOW_MS } from "./now-ms.js";

type Int8 = string | number | bigint;
const num = (value: Int8): number => Number(value);
const numOrUndefined = (value: Int8 | null): number | undefined =>
  value === null ? undefined : Number(value);

export type InspectionStatements = ReturnType<typeof inspectionStatements>;

/** The SQL text of every inspection statement for one schema. */
export function inspectionStatements({
  quoted,
  workflows,
  messages,
  events,
  streams,
}: SchemaNames) {
  return {
    schemaState: `
      select exists (select 1 from pg_namespace where nspname = $1) as has_schema,
             to_regclass($2) is not null as has_table`,
    appliedVersion: `select coalesce(max(version), 0)::int as version from ${quoted}.migrations`,
    messages: `
      select message_id, topic, message, created_at, consumed_at
      from ${messages} where destination_id = $1 order by seq`,
    events: `select key, value, updated_at from ${events} where workflow_id = $1 order by key`,
    streams: `
      select key, count(*) filter (where not closed)::int as entries, bool_or(closed) as closed
      from ${streams} where workflow_id = $1 group by key order by key`,
    queues: `
      select queue_name,
             count(*) filter (where status = 'ENQUEUED')::int as enqueued,
             count(*) filter (where status = 'PENDING')::int as running,
             min(created_at) filter (where status = 'ENQUEUED') as oldest_enqueued_at,
             count(*) filter (where status in ('SUCCESS', 'ERROR', 'CANCELLED', 'DEAD_LETTER')
                              and updated_at >= ${NOW_MS} - $1::bigint)::int as finished_recently
      from ${workflows} where queue_name is not null
      group by queue_name order by queue_name`,
    executorLoad: `
      select executor_id, count(*)::int as pending
      from ${workflows} where status = 'PENDING' group by executor_id`,
    // ID prefix or name substring, newest first; LIKE wildcards in the text are escaped.
    search: `
      select workflow_id from ${workflows}
      where workflow_id like $1 || '%' escape '\\' or name ilike '%' || $1 || '%' escape '\\'
      order by created_at desc, workflow_id collate "C" desc
      limit $2`,
    now: `select ${NOW_MS} as now`,
  };
}

/** Whether the schema and its migrations table exist, and the newest applied version. */
export async function appliedVersion(
  db: SqlQueryable,
  q: InspectionStatements,
  names: SchemaNames,
): Promise<number | undefined> {
  const [state] = await db.query<{ has_schema: boolean; has_table: boolean }>(q.schemaState, [
    names.schema,
    names.migrations,
  ]);
  if (!state?.has_schema || !state.has_table) return undefined;
  const [row] = await db.query<{ version: number }>(q.appliedVersion);
  return row?.version ?? 0;
}

/** A message sent to a workflow, still serialized. */
export interface MessageRow {
  readonly messageId: string;
  readonly topic: string;
  readonly message: string;
  readonly createdAt: number;
  readonly consumedAt: number | undefined;
}

export async function listMessages(
  db: SqlQueryable,
  q: InspectionStatements,
  workflowId: string,
): Promise<MessageRow[]> {
  const rows = await db.query<{
    message_id: string;
    topic: string;
    message: string;
    created_at: Int8;
    consumed_at: Int8 | null;
  }>(q.messages, [workflowId]);
  return rows.map((r) => ({
    messageId: r.message_id,
    topic: r.topic,
    message: r.message,
    createdAt: num(r.created_at),
    consumedAt: numOrUndefined(r.consumed_at),
  }));
}

/** An event's current value, still serialized. */
export interface EventRow {
  readonly key: string;
  readonly value: string;
  readonly updatedAt: number;
}

export async function listEvents(
  db: SqlQueryable,
  q: InspectionStatements,
  workflowId: string,
): Promise<EventRow[]> {
  const rows = await db.query<{ key: string; value: string; updated_at: Int8 }>(q.events, [
    workflowId,
  ]);
  return rows.map((r) => ({ key: r.key, value: r.value, updatedAt: num(r.updated_at) }));
}

/** A stream of a workflow: how many values it holds and whether it was closed. */
export interface StreamSummary {
  readonly key: string;
  readonly entries: number;
  readonly closed: boolean;
}

export async function listStreams(
  db: SqlQueryable,
  q: InspectionStatements,
  workflowId: string,
): Promise<StreamSummary[]> {
  const rows = await db.query<{ key: string; entries: number; closed: boolean }>(q.streams, [
    workflowId,
  ]);
  return rows.map((r) => ({ key: r.key, entries: Number(r.entries), closed: r.closed }));
}

/** A queue as its workflows show it. */
export interface QueueActivity {
  readonly queueName: string;
  readonly enqueued: number;
  readonly running: number;
  /** When the longest-waiting enqueued workflow was created; `undefined` when none waits. */
  readonly oldestEnqueuedAt: number | undefined;
  /** Workflows of the queue that finished (any final status) within the window. */
  readonly finishedRecently: number;
}

export async function listQueueActivity(
  db: SqlQueryable,
  q: InspectionStatements,
  windowMs: number,
): Promise<QueueActivity[]> {
  const rows = await db.query<{
    queue_name: string;
    enqueued: number;
    running: number;
    oldest_enqueued_at: Int8 | null;
    finished_recently: number;
  }>(q.queues, [Math.max(0, Math.round(windowMs))]);
  return rows.map((r) => ({
    queueName: r.queue_name,
    enqueued: Number(r.enqueued),
    running: Number(r.running),
    oldestEnqueuedAt: numOrUndefined(r.oldest_enqueued_at),
    finishedRecently: Number(r.finished_recently),
  }));
}

export async function executorLoad(
  db: SqlQueryable,
  q: InspectionStatements,
): Promise<Map<string, number>> {
  const rows = await db.query<{ executor_id: string; pending: number }>(q.executorLoad);
  return new Map(rows.map((r) => [r.executor_id, Number(r.pending)]));
}

export async function searchWorkflowIds(
  db: SqlQueryable,
  q: InspectionStatements,
  text: string,
  limit: number,
): Promise<string[]> {
  const escaped = text.replace(/[\\%_]/g, (c) => `\\${c}`);
  const rows = await db.query<{ workflow_id: string }>(q.search, [escaped, limit]);
  return rows.map((r) => r.workflow_id);
}

export async function databaseNow(db: SqlQueryable, q: InspectionStatements): Promise<number> {
  const [row] = await db.query<{ now: Int8 }>(q.now);
  return row ? num(row.now) : Date.now();
}
