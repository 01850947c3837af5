/**
 * The statements on `executors`, one function each: an engine's heartbeat (with the workflow
 * names it runs), its clean stop, and the list with each executor's expiry computed on the
 * database clock, the one clock every process shares.
 */
import type { ExecutorFilter, ExecutorRecord } from "@cairn/core";
import type { SqlQueryable } from "../executors/sql-executor.js";
import { toExecutorRecord, type ExecutorRow } from "../rows.js";
import type { SchemaNames } from "../schema-names.js";
import { NOW_MS } from "./now-ms.js";

export type ExecutorStatements = ReturnType<typeof executorStatements>;

/** The SQL text of every `executors` statement for one schema. */
export function executorStatements({ executors }: SchemaNames) {
  return {
    // A stopped executor that heartbeats again is alive again, started anew.
    heartbeat: `
      insert into ${executors} as e (executor_id, app_version, lease_ms, heartbeat_at, status,
                                     started_at, workflow_names)
      values ($1::text, $2::text, $3::bigint, ${NOW_MS}, 'alive', ${NOW_MS}, $4::text[])
      on conflict (executor_id) do update
      set app_version = excluded.app_version, lease_ms = excluded.lease_ms,
          heartbeat_at = excluded.heartbeat_at, status = 'alive',
          workflow_names = excluded.workflow_names,
          started_at = case when e.status = 'stopped' then excluded.started_at
                            else e.started_at end`,
    stop: `update ${executors} set status = 'stopped' where executor_id = $1`,
    // $1: recentMs, or null for every executor. The names come as json, whatever array types
    // the client parses.
    list: `
      select executor_id, app_version, status, heartbeat_at, lease_ms,
             status = 'stopped' or heartbeat_at + lease_ms < ${NOW_MS} as expired,
             array_to_json(workflow_names) as workflow_names
      from ${executors}
      where $1::bigint is null or heartbeat_at + lease_ms + $1::bigint >= ${NOW_MS}
      order by started_at, executor_id`,
  };
}

export async function heartbeat(
  db: SqlQueryable,
  q: ExecutorStatements,
  executor: {
    executorId: string;
    appVersion: string | undefined;
    leaseMs: number;
    workflowNames?: readonly string[] | undefined;
  },
): Promise<void> {
  await db.query(q.heartbeat, [
    executor.executorId,
    executor.appVersion ?? null,
    Math.max(0, Math.round(executor.leaseMs)),
    executor.workflowNames ?? null,
  ]);
}

export async function stopExecutor(
  db: SqlQueryable,
  q: ExecutorStatements,
  executorId: string,
): Promise<void> {
  await db.query(q.stop, [executorId]);
}

export async function listExecutors(
  db: SqlQueryable,
  q: ExecutorStatements,
  filter: ExecutorFilter = {},
): Promise<ExecutorRecord[]> {
  const recentMs = filter.recentMs === undefined ? null : Math.max(0, Math.round(filter.recentMs));
  return (await db.query<ExecutorRow>(q.list, [recentMs])).map(toExecutorRecord);
}
