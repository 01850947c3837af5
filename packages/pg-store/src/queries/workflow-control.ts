/**
 * The statements that change a workflow on request rather than by running it: cancel (with its
 * descendants), resume, fork, set attributes. Each is one statement, so it is atomic without a
 * transaction, and each that changes a status notifies `status` for the rows it changed from
 * inside that statement.
 */
import {
  QUEUED_EXECUTOR,
  type CreateWorkflowResult,
  type ForkRequest,
  type WorkflowAttributes,
  type WorkflowRecord,
} from "@cairn/core";
import type { SqlQueryable } from "../executors/sql-executor.js";
import {
  STEP_COLUMNS,
  WORKFLOW_COLUMNS,
  toWorkflowRecord,
  workflowColumnsOf,
  type WorkflowRow,
} from "../rows.js";
import type { SchemaNames } from "../schema-names.js";
import { NOW_MS } from "./now-ms.js";
import { notifyFrom } from "./notify.js";
import { notifyQueue } from "./queue-items.js";

export type ControlStatements = ReturnType<typeof controlStatements>;

/** Every column `notifyFrom` needs for a status notification, over a CTE of workflow rows. */
const STATUS_FIELDS = ["workflow_id", "status", "executor_id"];

/** The SQL text of the control statements for one schema. */
export function controlStatements(names: SchemaNames) {
  const { quoted, workflows, steps, events, eventHistory, streams, channel } = names;
  return {
    // The workflow and (with $2) every descendant, whatever their status; PENDING and ENQUEUED
    // ones cancel. An ENQUEUED one leaves its queue (which frees its dedup key).
    cancel: `
      with recursive tree as (
        select $1::text as workflow_id
        union
        select w.workflow_id from ${workflows} w
        join tree t on w.parent_workflow_id = t.workflow_id
        where $2::boolean
      ),
      cancelled as (
        update ${workflows} w
        set status = 'CANCELLED', updated_at = ${NOW_MS}, completed_at = ${NOW_MS}
        from tree where w.workflow_id = tree.workflow_id and w.status in ('PENDING', 'ENQUEUED')
        returning w.workflow_id, w.status, w.executor_id
      ),
      dequeued as (
        delete from ${quoted}.queue_items q using cancelled c
        where q.workflow_id = c.workflow_id and q.started_at is null
      ),
      notified as (${notifyFrom(channel, "status", STATUS_FIELDS, "cancelled")})
      select workflow_id from cancelled where (select count(*) from notified) >= 0`,
    // Error checkpoints after the last successful one are dropped; recovery_progress becomes
    // the count that remains, so the next claim measures progress from here. A queued workflow
    // (queue_name set) goes back to its queue, ENQUEUED, so the queue's limits apply to its
    // rerun: its item (still there, or written anew from the partition and priority the
    // workflow row keeps) waits again, available now, without its dedup and debounce keys (they
    // were freed when it finished).
    resume: `
      with target as (
        select workflow_id from ${workflows}
        where workflow_id = $1 and status in ('CANCELLED', 'ERROR', 'DEAD_LETTER')
        for update
      ),
      last_ok as (
        select coalesce(max(position), -1) as position from ${steps}
        where workflow_id = $1 and error is null
      ),
      dropped as (
        delete from ${steps} s using target, last_ok
        where s.workflow_id = target.workflow_id and s.error is not null
          and s.position > last_ok.position
        returning 1
      ),
      resumed as (
        update ${workflows} w
        set status = case when w.queue_name is null then 'PENDING' else 'ENQUEUED' end,
            executor_id = case when w.queue_name is null then $2 else '${QUEUED_EXECUTOR}' end,
            owner_epoch = w.owner_epoch + 1,
            output = null, error = null,
            recovery_attempts = 0, deadline_at = null, updated_at = ${NOW_MS},
            started_at = case when w.queue_name is null then ${NOW_MS} end, completed_at = null,
            recovery_progress = (select count(*) from ${steps} where workflow_id = $1)
                              - (select count(*) from dropped)
        from target where w.workflow_id = target.workflow_id
        returning ${workflowColumnsOf("w")}
      ),
      requeued as (
        insert into ${quoted}.queue_items as q (workflow_id, queue_name, partition_key, priority,
                                                available_at, enqueued_at)
        select workflow_id, queue_name, coalesce(queue_partition_key, ''),
               coalesce(queue_priority, 0), ${NOW_MS}, ${NOW_MS}
        from resumed where queue_name is not null
        on conflict (workflow_id) do update
        set queue_name = excluded.queue_name, available_at = excluded.available_at,
            previous_started_at = coalesce(q.started_at, q.previous_started_at),
            started_at = null, claimed_by = null, dedup_id = null, debounce_key = null
        returning queue_name
      ),
      notified as (${notifyFrom(channel, "status", STATUS_FIELDS, "resumed")}),
      queue_notified as (${notifyQueue(channel, "queue_name", "requeued")})
      select ${WORKFLOW_COLUMNS} from resumed
      where (select count(*) from notified) + (select count(*) from queue_notified) >= 0`,
    // Always one row: whether the source exists, then the new row, the taken one, or nulls
    // (a concurrent insert of new_id committed after this snapshot: run again). $1 source, $2
    // new ID, $3 fork position, $4 executor, $5 version, $6 deadline, $7 queue (null: run by $4
    // now), $8 partition, $9 priority, $10 timeout ms. What the source recorded below $3 comes
    // along: checkpoints, stream entries, and each event's value as of $3, with its history.
    fork: `
      with source as (
        select name, input, attributes from ${workflows} where workflow_id = $1
      ),
      inserted as (
        insert into ${workflows} (workflow_id, name, status, input, executor_id, forked_from,
                                  created_at, updated_at, started_at, attributes, app_version,
                                  deadline_at, queue_name, queue_partition_key, queue_priority)
        select $2::text, name, case when $7::text is null then 'PENDING' else 'ENQUEUED' end,
               input, case when $7::text is null then $4::text else '${QUEUED_EXECUTOR}' end,
               $1::text, ${NOW_MS}, ${NOW_MS},
               case when $7::text is null then ${NOW_MS} end, attributes, $5::text,
               case when $7::text is null then $6::bigint end, $7::text,
               nullif($8::text, ''), case when $7::text is not null then $9::int end
        from source
        on conflict (workflow_id) do nothing
        returning ${WORKFLOW_COLUMNS}
      ),
      copied as (
        insert into ${steps} (${STEP_COLUMNS})
        select $2::text, position, name, output, error, child_workflow_id, attempts, started_at,
               completed_at
        from ${steps}
        where workflow_id = $1 and position < $3 and exists (select 1 from inserted)
        on conflict (workflow_id, position) do nothing
      ),
      streams_copied as (
        insert into ${streams} (workflow_id, key, position, value, closed)
        select $2::text, key, position, value, closed from ${streams}
        where workflow_id = $1 and position < $3 and exists (select 1 from inserted)
        on conflict (workflow_id, key, position) do nothing
      ),
      history_copied as (
        insert into ${eventHistory} (workflow_id, position, key, value)
        select $2::text, position, key, value from ${eventHistory}
        where workflow_id = $1 and position < $3 and exists (select 1 from inserted)
        on conflict (workflow_id, position) do nothing
      ),
      events_copied as (
        insert into ${events} (workflow_id, key, value, updated_at)
        select distinct on (key) $2::text, key, value, ${NOW_MS} from ${eventHistory}
        where workflow_id = $1 and position < $3 and exists (select 1 from inserted)
        order by key, position desc
        on conflict (workflow_id, key) do nothing
      ),
      queued as (
        insert into ${quoted}.queue_items (workflow_id, queue_name, partition_key, priority,
                                           available_at, timeout_ms, enqueued_at)
        select workflow_id, $7::text, coalesce($8::text, ''), coalesce($9::int, 0), ${NOW_MS},
               $10::bigint, ${NOW_MS}
        from inserted where $7::text is not null
        returning queue_name
      ),
      notified as (${notifyFrom(channel, "status", STATUS_FIELDS, "inserted")}),
      queue_notified as (${notifyQueue(channel, "queue_name", "queued")}),
      outcome as (
        select true as created, ${WORKFLOW_COLUMNS} from inserted
        where (select count(*) from notified) + (select count(*) from queue_notified) >= 0
        union all
        select false as created, ${WORKFLOW_COLUMNS} from ${workflows}
        where workflow_id = $2 and not exists (select 1 from inserted)
      )
      select exists (select 1 from source) as found, outcome.*
      from (select 1) as one left join outcome on true`,
    // $1 workflow, $2 attributes (JSON text), $3 merge (top-level keys) or replace.
    setAttributes: `
      update ${workflows}
      set attributes = case when $3::boolean then coalesce(attributes, '{}'::jsonb) || $2::text::jsonb
                            else $2::text::jsonb end
      where workflow_id = $1
      returning ${WORKFLOW_COLUMNS}`,
  };
}

/** Cancels; returns the IDs it moved from PENDING to CANCELLED. */
export async function cancelWorkflows(
  db: SqlQueryable,
  q: ControlStatements,
  workflowId: string,
  children: boolean,
): Promise<string[]> {
  const rows = await db.query<{ workflow_id: string }>(q.cancel, [workflowId, children]);
  return rows.map((r) => r.workflow_id);
}

/** Resumes; `undefined` when the workflow was not in a resumable state (or does not exist). */
export async function resumeWorkflow(
  db: SqlQueryable,
  q: ControlStatements,
  workflowId: string,
  executorId: string,
): Promise<WorkflowRecord | undefined> {
  const [row] = await db.query<WorkflowRow>(q.resume, [workflowId, executorId]);
  return row && toWorkflowRecord(row);
}

/** What one fork statement found: no source, a result, or the rare race to run again. */
export type ForkAttempt =
  | { readonly found: false }
  | { readonly found: true; readonly result: CreateWorkflowResult | undefined };

export async function forkWorkflow(
  db: SqlQueryable,
  q: ControlStatements,
  fork: ForkRequest,
): Promise<ForkAttempt> {
  const { queue } = fork;
  const [row] = await db.query<{ found: boolean; created: boolean | null } & WorkflowRow>(q.fork, [
    fork.sourceId,
    fork.newId,
    fork.fromPosition,
    fork.executorId,
    fork.appVersion ?? null,
    fork.deadlineAt === undefined ? null : Math.round(fork.deadlineAt),
    queue?.queueName ?? null,
    queue?.partitionKey ?? null,
    queue?.priority ?? null,
    queue?.timeoutMs === undefined ? null : Math.round(queue.timeoutMs),
  ]);
  if (!row?.found) return { found: false };
  if (row.created === null) return { found: true, result: undefined };
  return { found: true, result: { created: row.created, workflow: toWorkflowRecord(row) } };
}

/** Sets (or merges into) a workflow's attributes; `undefined` when there is no such workflow. */
export async function setAttributes(
  db: SqlQueryable,
  q: ControlStatements,
  workflowId: string,
  attributes: WorkflowAttributes,
  merge: boolean,
): Promise<WorkflowRecord | undefined> {
  const [row] = await db.query<WorkflowRow>(q.setAttributes, [
    workflowId,
    JSON.stringify(attributes),
    merge,
  ]);
  return row && toWorkflowRecord(row);
}
