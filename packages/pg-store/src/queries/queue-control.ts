/**
 * The statements that change queues at runtime: the queues' recorded definitions and runtime
 * limits (read by every claim, so a change is in force at each process's next claim), and the
 * priority and start time of a workflow still waiting in its queue.
 */
import type {
  NewAvailability,
  QueueDefinitionRecord,
  QueueLimits,
  QueueLimitsPatch,
  QueueRecord,
} from "@cairn/queue";
import type { SqlQueryable } from "../executors/sql-executor.js";
import type { SchemaNames } from "../schema-names.js";
import { NOW_MS } from "./now-ms.js";
import { notifyQueue } from "./queue-items.js";

export type QueueControlStatements = ReturnType<typeof queueControlStatements>;

/** jsonb read as text: the drivers would otherwise each decide how to parse it. */
const QUEUE_COLUMNS =
  "queue_name, partitioned, defined_limits::text as defined_limits, limits::text as limits, updated_at";

/** The SQL text of the queue control statements for one schema. */
export function queueControlStatements({ quoted, workflows, channel }: SchemaNames) {
  const queues = `${quoted}.queues`;
  const items = `${quoted}.queue_items`;
  const waiting = `
    from ${workflows} w
    where q.workflow_id = $1 and w.workflow_id = q.workflow_id
      and q.started_at is null and w.status = 'ENQUEUED'`;
  return {
    // $1 a JSON array of { name, partitioned, limits } (one parameter: drivers differ on arrays).
    define: `
      insert into ${queues} (queue_name, partitioned, defined_limits, updated_at)
      select d.name, d.partitioned, d.limits, ${NOW_MS}
      from jsonb_to_recordset($1::text::jsonb) as d(name text, partitioned boolean, limits jsonb)
      on conflict (queue_name) do update
      set partitioned = excluded.partitioned, defined_limits = excluded.defined_limits,
          updated_at = excluded.updated_at`,
    // $1 queue, $2 patch (JSON text; null values lift a limit), $3 clear all first.
    setLimits: `
      insert into ${queues} as t (queue_name, limits, updated_at)
      values ($1, case when $3::boolean then null else $2::text::jsonb end, ${NOW_MS})
      on conflict (queue_name) do update
      set limits = case when $3::boolean then null
                        else coalesce(t.limits, '{}'::jsonb) || $2::text::jsonb end,
          updated_at = excluded.updated_at
      returning ${QUEUE_COLUMNS}`,
    get: `select ${QUEUE_COLUMNS} from ${queues} where queue_name = $1`,
    list: `select ${QUEUE_COLUMNS} from ${queues} order by queue_name`,
    // $1 workflow, $2 priority; the workflow row shows it too (listings read it there).
    setPriority: `
      with changed as (
        update ${items} q set priority = $2::int ${waiting}
        returning q.workflow_id
      )
      update ${workflows} w set queue_priority = $2::int
      from changed c where w.workflow_id = c.workflow_id
      returning w.workflow_id`,
    // $1 workflow, $2 available at (absolute) or null, $3 delay from now.
    setAvailability: `
      with moved as (
        update ${items} q
        set available_at = coalesce($2::bigint, ${NOW_MS} + $3::bigint) ${waiting}
        returning q.workflow_id, q.queue_name
      ),
      notified as (${notifyQueue(channel, "queue_name", "moved")})
      select workflow_id from moved where (select count(*) from notified) >= 0`,
  };
}

type Int8 = string | number | bigint;
interface QueueRow {
  queue_name: string;
  partitioned: boolean | null;
  defined_limits: string | null;
  limits: string | null;
  updated_at: Int8;
}

const json = <T>(text: string | null | undefined): T | undefined =>
  text === null || text === undefined ? undefined : (JSON.parse(text) as T);

function toQueueRecord(row: QueueRow): QueueRecord {
  return {
    queueName: row.queue_name,
    partitioned: row.partitioned ?? undefined,
    definedLimits: json<QueueLimits>(row.defined_limits),
    limits: json<QueueLimitsPatch>(row.limits),
    updatedAt: Number(row.updated_at),
  };
}

export async function defineQueues(
  db: SqlQueryable,
  q: QueueControlStatements,
  queues: readonly QueueDefinitionRecord[],
): Promise<void> {
  if (queues.length === 0) return;
  const rows = queues.map((d) => ({
    name: d.queueName,
    partitioned: d.partitioned,
    limits: d.limits,
  }));
  await db.query(q.define, [JSON.stringify(rows)]);
}

export async function setQueueLimits(
  db: SqlQueryable,
  q: QueueControlStatements,
  queueName: string,
  patch: QueueLimitsPatch | undefined,
): Promise<QueueRecord> {
  const [row] = await db.query<QueueRow>(q.setLimits, [
    queueName,
    JSON.stringify(patch ?? {}),
    patch === undefined,
  ]);
  if (!row) throw new Error(`setQueueLimits(${queueName}) returned no row`);
  return toQueueRecord(row);
}

export async function getQueue(
  db: SqlQueryable,
  q: QueueControlStatements,
  queueName: string,
): Promise<QueueRecord | undefined> {
  const [row] = await db.query<QueueRow>(q.get, [queueName]);
  return row && toQueueRecord(row);
}

export async function listQueues(
  db: SqlQueryable,
  q: QueueControlStatements,
): Promise<QueueRecord[]> {
  return (await db.query<QueueRow>(q.list)).map(toQueueRecord);
}

export async function setPriority(
  db: SqlQueryable,
  q: QueueControlStatements,
  workflowId: string,
  priority: number,
): Promise<boolean> {
  return (await db.query(q.setPriority, [workflowId, priority])).length > 0;
}

export async function setAvailability(
  db: SqlQueryable,
  q: QueueControlStatements,
  workflowId: string,
  when: NewAvailability,
): Promise<boolean> {
  const rows = await db.query(q.setAvailability, [
    workflowId,
    "availableAt" in when ? Math.round(when.availableAt) : null,
    "delayMs" in when ? Math.round(when.delayMs) : null,
  ]);
  return rows.length > 0;
}
