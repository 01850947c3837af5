/**
 * The statements of schedules stored at runtime: create, update (guarded by the revision the
 * caller read), delete, read and list. A row without a cron expression belongs to a schedule
 * defined in code and only records its ticks (`queue-items.ts`); these statements never touch
 * one, and a stored schedule cannot take its name.
 */
import type { NewStoredSchedule, StoredSchedule } from "@cairn/queue";
import type { SqlQueryable } from "../executors/sql-executor.js";
import type { SchemaNames } from "../schema-names.js";
import { NOW_MS } from "./now-ms.js";

export type ScheduleStatements = ReturnType<typeof scheduleStatements>;

const COLUMNS =
  "schedule_name, cron, workflow_name, timezone, missed, max_backfill, queue_name, " +
  "partition_key, context, paused, last_tick_at, revision, created_at, updated_at";

/** The SQL text of the stored-schedule statements for one schema. */
export function scheduleStatements({ quoted }: SchemaNames) {
  const schedules = `${quoted}.schedules`;
  return {
    // $1..$10 as the columns from schedule_name to paused.
    create: `
      insert into ${schedules} (schedule_name, cron, workflow_name, timezone, missed,
                                max_backfill, queue_name, partition_key, context, paused,
                                created_at, updated_at)
      values ($1, $2, $3, $4, $5, $6::int, $7, $8, $9, $10::boolean, ${NOW_MS}, ${NOW_MS})
      on conflict (schedule_name) do nothing
      returning schedule_name`,
    // As create, $11 the revision read.
    update: `
      update ${schedules}
      set cron = $2, workflow_name = $3, timezone = $4, missed = $5, max_backfill = $6::int,
          queue_name = $7, partition_key = $8, context = $9, paused = $10::boolean,
          revision = revision + 1, updated_at = ${NOW_MS}
      where schedule_name = $1 and cron is not null and revision = $11::int
      returning ${COLUMNS}`,
    delete: `
      delete from ${schedules} where schedule_name = $1 and cron is not null
      returning schedule_name`,
    get: `select ${COLUMNS} from ${schedules} where schedule_name = $1 and cron is not null`,
    list: `select ${COLUMNS} from ${schedules} where cron is not null order by schedule_name`,
  };
}

type Int8 = string | number | bigint;
interface ScheduleRow {
  schedule_name: string;
  cron: string;
  workflow_name: string;
  timezone: string;
  missed: string;
  max_backfill: number;
  queue_name: string | null;
  partition_key: string | null;
  context: string | null;
  paused: boolean;
  last_tick_at: Int8 | null;
  revision: number;
  created_at: Int8;
  updated_at: Int8;
}

function toStoredSchedule(row: ScheduleRow): StoredSchedule {
  return {
    name: row.schedule_name,
    cron: row.cron,
    workflowName: row.workflow_name,
    timezone: row.timezone,
    missed: row.missed === "backfill" ? "backfill" : "skip", // the check constraint admits no other
    maxBackfill: row.max_backfill,
    queueName: row.queue_name ?? undefined,
    partitionKey: row.partition_key ?? undefined,
    context: row.context ?? undefined,
    paused: row.paused,
    lastTickAt: row.last_tick_at === null ? undefined : Number(row.last_tick_at),
    revision: row.revision,
    createdAt: Number(row.created_at),
    updatedAt: Number(row.updated_at),
  };
}

const params = (s: NewStoredSchedule): unknown[] => [
  s.name,
  s.cron,
  s.workflowName,
  s.timezone,
  s.missed,
  s.maxBackfill,
  s.queueName ?? null,
  s.partitionKey ?? null,
  s.context ?? null,
  s.paused,
];

export async function createSchedule(
  db: SqlQueryable,
  q: ScheduleStatements,
  schedule: NewStoredSchedule,
): Promise<boolean> {
  return (await db.query(q.create, params(schedule))).length > 0;
}

export async function updateSchedule(
  db: SqlQueryable,
  q: ScheduleStatements,
  schedule: NewStoredSchedule,
  revision: number,
): Promise<StoredSchedule | undefined> {
  const [row] = await db.query<ScheduleRow>(q.update, [...params(schedule), revision]);
  return row && toStoredSchedule(row);
}

export async function deleteSchedule(
  db: SqlQueryable,
  q: ScheduleStatements,
  name: string,
): Promise<boolean> {
  return (await db.query(q.delete, [name])).length > 0;
}

export async function getSchedule(
  db: SqlQueryable,
  q: ScheduleStatements,
  name: string,
): Promise<StoredSchedule | undefined> {
  const [row] = await db.query<ScheduleRow>(q.get, [name]);
  return row && toStoredSchedule(row);
}

export async function listSchedules(
  db: SqlQueryable,
  q: ScheduleStatements,
): Promise<StoredSchedule[]> {
  return (await db.query<ScheduleRow>(q.list)).map(toStoredSchedule);
}
