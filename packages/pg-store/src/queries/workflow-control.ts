/**
 * The statements that change a workflow on request rather than by running it: cancel (with its
 * descendants), resume — each of a batch of IDs at once — fork, set attributes. Each is one statement, so it is atomic without a
 * transaction, and each that changes a status notifies `status` for the rows it changed from
 * inside that statement.
 */
import {
  QUEUED_EXECUTOR,
  type CancelScope,
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
    // The workflows $1 and (with $2) every descendant, whatever their status — with $3 (a
    // deadline's cascade) only descendants whose deadline is at or before it; PENDING and
    // ENQUEUED ones cancel. An ENQUEUED one leaves its queue (which frees its dedup key). Rows
    // are locked in ID order first, so two batches that overlap cannot deadlock.
    cancel: `
      with recursive tree as (
        select unnest($1::text[]) as workflow_id, true as named
        union
        select w.workflow_id, false from ${workflows} w
        join tree t on w.parent_workflow_id = t.workflow_id
        where $2::boolean
      ),
      chosen as (
        select distinct w.workflow_id from ${workflows} w join tree using (workflow_id)
        where w.status in ('PENDING', 'ENQUEUED')
          and (tree.named or $3::bigint is null or w.deadline_at <= $3::bigint)
      ),
      locked as (
        select w.workflow_id from ${workflows} w join chosen using (workflow_id)
        order by w.workflow_id
        for update of w
      ),
      cancelled as (
        update ${workflows} w
        set status = 'CANCELLED', updated_at = ${NOW_MS}, completed_at = ${NOW_MS}
        from locked where w.workflow_id = locked.workflow_id
          and w.status in ('PENDING', 'ENQUEUED')
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
        where workflow_id = any($1::text[]) and status in ('CANCELLED', 'ERROR', 'DEAD_LETTER')
        order by workflow_id
        for update
      ),
      last_ok as (
        select target.workflow_id, coalesce(max(s.position), -1) as position
        from target left join ${steps} s
          on s.workflow_id = target.workflow_id and s.error is null
        group by target.workflow_id
      ),
      dropped as (
        delete from ${steps} s using last_ok
        where s.workflow_id = last_ok.workflow_id and s.error is not null
          and s.position > last_ok.position
        returning s.workflow_id
      ),
      resumed as (
        update ${workflows} w
        set status = case when w.queue_name is null then 'PENDING' else 'ENQUEUED' end,
            executor_id = case when w.queue_name is null then $2 else '${QUEUED_EXECUTOR}' end,
            owner_epoch = w.owner_epoch + 1,
            output = null, error = null,
            recovery_attempts = 0, deadline_at = null, updated_at = ${NOW_MS},
            started_at = case when w.queue_name is null then ${NOW_MS} end, completed_at = null,
            recovery_progress = (select count(*) from ${steps} s where s.workflow_id = w.workflow_id)
                              - (select count(*) from dropped d where d.workflow_id = w.workflow_id)
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

/** Cancels; returns the IDs it moved from PENDING or ENQUEUED to CANCELLED. */
export async function cancelWorkflows(
  db: SqlQueryable,
  q: ControlStatements,
  workflowIds: readonly string[],
  scope: CancelScope,
): Promise<string[]> {
  const rows = await db.query<{ workflow_id: string }>(q.cancel, [
    [...workflowIds],
    scope.children,
    scope.deadlineAt === undefined ? null : Math.round(scope.deadlineAt),
  ]);
  return rows.map((r) => r.workflow_id);
}

/** Resumes; the rows of those that were in a resumable state (unknown IDs are left out). */
export async function resumeWorkflows(
  db: SqlQueryable,
  q: ControlStatements,
  workflowIds: readonly string[],
  executorId: string,
): Promise<WorkflowRecord[]> {
  const rows = await db.query<WorkflowRow>(q.resume, [[...new Set(workflowIds)], executorId]);
  return rows.map(toWorkflowRecord);
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
