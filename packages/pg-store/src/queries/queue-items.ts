/**
 * The statements that put workflows on queues and read queue state: enqueue (with dedup and
 * delay), debounce, release, counts, and the cron schedules' last ticks. A batch of enqueues
 * (one, or up to a thousand) and a debounce are one statement each: the queue items are inserted
 * first, where a dedup or debounce key can refuse them, then the workflows from them (the foreign
 * key is checked at the end of the statement), then the queue's notification. The claim lives in
 * `queue-claim.ts`.
 */
import { QUEUED_EXECUTOR, type NewWorkflow } from "@cairn/core";
import type {
  DebounceItem,
  DebounceResult,
  EnqueueResult,
  NewQueueItem,
  QueueCounts,
} from "@cairn/queue";
import type { SqlQueryable } from "../executors/sql-executor.js";
import {
  WORKFLOW_COLUMNS,
  attributesColumn,
  toWorkflowRecord,
  traceContextColumn,
  workflowColumnsOf,
  type WorkflowRow,
} from "../rows.js";
import type { SchemaNames } from "../schema-names.js";
import { NOW_MS } from "./now-ms.js";

export type QueueItemStatements = ReturnType<typeof queueItemStatements>;

/** `select pg_notify(...)` announcing work on queue `$param` once per row of `source`. */
export const notifyQueue = (channel: string, param: string, source: string): string =>
  `select pg_notify('${channel}', to_json(array['queue', ${param}::text])::text) from ${source}`;

/** The SQL text of the queue item statements for one schema. */
export function queueItemStatements({ quoted, workflows, channel }: SchemaNames) {
  const items = `${quoted}.queue_items`;
  const schedules = `${quoted}.schedules`;
  return {
    // One array per column, one entry per item (distinct workflow IDs): $1 id, $2 name,
    // $3 input, $4 executor, $5 version, $6 queue, $7 partition, $8 priority, $9 dedup,
    // $10 available at (absolute), $11 delay, $12 timeout, $13 trace context, $14 attributes
    // (JSON text), $16 parent workflow ID, $17 deadline (epoch ms; a child of `ctx.enqueue`
    // inherits its parent's); $15 true: write nothing if some item's ID is held by a workflow of
    // another name (a bulk enqueue is all or none). Items are inserted in array order (their FIFO
    // order); of two with one dedup key, the first wins. Per item (`for_id`) one row or more:
    // created, the row holding the ID, or the live (or finished) holder of the dedup key; none
    // if a concurrent write committed after this statement's snapshot (or an earlier item of
    // the batch took its dedup key). One notification per queue.
    enqueue: `
      with input as (
        select * from unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[],
                             $6::text[], $7::text[], $8::int[], $9::text[], $10::bigint[],
                             $11::bigint[], $12::bigint[], $13::text[], $14::text[],
                             $16::text[], $17::bigint[])
          with ordinality
          as i(workflow_id, name, input, executor_id, app_version, queue_name, partition_key,
               priority, dedup_id, available_at, delay_ms, timeout_ms, trace_context, attributes,
               parent_workflow_id, deadline_at, ord)
      ),
      item as (
        insert into ${items} (workflow_id, queue_name, partition_key, priority, dedup_id,
                              available_at, timeout_ms, enqueued_at)
        select i.workflow_id, i.queue_name, i.partition_key, i.priority, i.dedup_id,
               coalesce(i.available_at, ${NOW_MS} + coalesce(i.delay_ms, 0)), i.timeout_ms,
               ${NOW_MS}
        from input i
        where not exists (select 1 from ${workflows} w where w.workflow_id = i.workflow_id)
          and not ($15::boolean and exists (
            select 1 from input c join ${workflows} w on w.workflow_id = c.workflow_id
            where w.name <> c.name
          ))
        order by i.ord
        on conflict do nothing
        returning workflow_id
      ),
      inserted as (
        insert into ${workflows} (workflow_id, name, status, input, executor_id, app_version,
                                  queue_name, trace_context, created_at, updated_at,
                                  queue_partition_key, queue_priority, queue_dedup_id, attributes,
                                  parent_workflow_id, deadline_at)
        select i.workflow_id, i.name, 'ENQUEUED', i.input, i.executor_id, i.app_version,
               i.queue_name, i.trace_context, ${NOW_MS}, ${NOW_MS},
               nullif(i.partition_key, ''), i.priority, i.dedup_id, i.attributes::jsonb,
               i.parent_workflow_id, i.deadline_at
        from item join input i on i.workflow_id = item.workflow_id
        on conflict (workflow_id) do nothing
        returning ${WORKFLOW_COLUMNS}
      ),
      notified as (
        ${notifyQueue(channel, "queue_name", "(select distinct queue_name from inserted) n")}
      )
      select workflow_id as for_id, 'created' as outcome, ${WORKFLOW_COLUMNS} from inserted
      where (select count(*) from notified) >= 0
      union all
      select i.workflow_id, 'exists', ${workflowColumnsOf("w")}
      from input i join ${workflows} w on w.workflow_id = i.workflow_id
      union all
      select i.workflow_id, 'duplicate', ${workflowColumnsOf("w")}
      from input i
      join ${items} q on q.queue_name = i.queue_name and q.dedup_id = i.dedup_id
      join ${workflows} w on w.workflow_id = q.workflow_id
      where i.dedup_id is not null
        and not exists (select 1 from ${workflows} x where x.workflow_id = i.workflow_id)`,
    // Frees a dedup key whose holder finished (or vanished).
    releaseDedup: `
      update ${items} q set dedup_id = null
      where q.queue_name = $1 and q.dedup_id = $2 and not exists (
        select 1 from ${workflows} w
        where w.workflow_id = q.workflow_id and w.status in ('ENQUEUED', 'PENDING')
      )`,
    // $1..$8 as enqueue, $9 key, $10 period, $11 max wait (null: none), $12 attributes (JSON
    // text, kept from the call that created the waiting workflow). The waiting workflow of
    // the key gets the new input and a later start (capped); without one, a new one is created.
    debounce: `
      with waiting as (
        select q.workflow_id, q.debounce_until, w.name
        from ${items} q join ${workflows} w on w.workflow_id = q.workflow_id
        where q.queue_name = $6 and q.debounce_key = $9 and q.started_at is null
          and w.status = 'ENQUEUED'
        for update of q
      ),
      bumped as (
        update ${items} q
        set available_at = least(${NOW_MS} + $10::bigint,
                                 coalesce(waiting.debounce_until, ${NOW_MS} + $10::bigint))
        from waiting where q.workflow_id = waiting.workflow_id and waiting.name = $2
        returning q.workflow_id
      ),
      reinput as (
        update ${workflows} w set input = $3, updated_at = ${NOW_MS}
        from bumped where w.workflow_id = bumped.workflow_id
        returning w.workflow_id
      ),
      item as (
        insert into ${items} (workflow_id, queue_name, partition_key, priority, debounce_key,
                              debounce_until, available_at, enqueued_at)
        select $1, $6, $7, $8::int, $9, ${NOW_MS} + $11::bigint,
               ${NOW_MS} + least($10::bigint, coalesce($11::bigint, $10::bigint)), ${NOW_MS}
        where not exists (select 1 from waiting)
        on conflict do nothing
        returning workflow_id
      ),
      inserted as (
        insert into ${workflows} (workflow_id, name, status, input, executor_id, app_version,
                                  queue_name, created_at, updated_at, queue_partition_key,
                                  queue_priority, attributes)
        select workflow_id, $2, 'ENQUEUED', $3, $4, $5, $6, ${NOW_MS}, ${NOW_MS}, nullif($7, ''),
               $8::int, $12::text::jsonb from item
        returning workflow_id, name
      ),
      notified as (${notifyQueue(channel, "$6", "inserted")})
      select workflow_id, 'created' as outcome, name from inserted
      where (select count(*) from notified) >= 0
      union all
      select workflow_id, 'updated', $2::text from reinput
      union all
      select workflow_id, 'conflict', name from waiting where name <> $2`,
    // Workflows this executor claimed and will not run go back to their queue, not started.
    release: `
      with released as (
        update ${workflows} w
        set status = 'ENQUEUED', executor_id = '${QUEUED_EXECUTOR}',
            owner_epoch = w.owner_epoch + 1, updated_at = ${NOW_MS}, started_at = null
        where w.workflow_id = any($1::text[]) and w.executor_id = $2 and w.status = 'PENDING'
          and exists (select 1 from ${items} q where q.workflow_id = w.workflow_id)
        returning w.workflow_id, w.queue_name
      ),
      unstarted as (
        update ${items} q set started_at = null, claimed_by = null
        from released r where q.workflow_id = r.workflow_id
      )
      ${notifyQueue(channel, "queue_name", "(select distinct queue_name from released) r")}`,
    counts: `
      select status, count(*)::int as n from ${workflows} where queue_name = $1 group by status
      union all
      select 'delayed', count(*)::int from ${items} q
      where q.queue_name = $1 and q.started_at is null and q.available_at > ${NOW_MS}`,
    lastTick: `select last_tick_at from ${schedules} where schedule_name = $1`,
    recordTick: `
      insert into ${schedules} (schedule_name, last_tick_at, updated_at)
      values ($1, $2::bigint, ${NOW_MS})
      on conflict (schedule_name) do update
      set last_tick_at = greatest(${schedules}.last_tick_at, excluded.last_tick_at),
          updated_at = excluded.updated_at`,
  };
}

/** $1..$5 of debounce: the new workflow's ID, name, input, owner and version. */
const workflowValues = (w: NewWorkflow): unknown[] => [
  w.workflowId,
  w.name,
  w.input,
  w.executorId,
  w.appVersion ?? null,
];

type OutcomeRow = WorkflowRow & { for_id: string; outcome: EnqueueResult["kind"] };

/** Which of an item's rows tells its outcome: created, else the ID's holder, else the dedup's. */
const OUTCOME_RANK: Record<EnqueueResult["kind"], number> = {
  created: 0,
  exists: 1,
  duplicate: 2,
};

/**
 * One attempt at a batch of items with distinct workflow IDs, in one statement. Per item, in
 * order: its outcome, or `undefined` when a concurrent write hid the row (try that one again).
 * `allOrNone`: when an item's ID is held by a workflow of another name, nothing is inserted.
 */
export async function enqueueItems(
  db: SqlQueryable,
  q: QueueItemStatements,
  batch: readonly NewQueueItem[],
  allOrNone = false,
): Promise<(EnqueueResult | undefined)[]> {
  const column = <T>(pick: (item: NewQueueItem) => T | undefined) =>
    batch.map((item) => pick(item) ?? null);
  const ms = (value: number | undefined) => (value === undefined ? null : Math.round(value));
  const rows = await db.query<OutcomeRow>(q.enqueue, [
    column((item) => item.workflow.workflowId),
    column((item) => item.workflow.name),
    column((item) => item.workflow.input),
    column((item) => item.workflow.executorId),
    column((item) => item.workflow.appVersion),
    column((item) => item.queueName),
    column((item) => item.partitionKey),
    column((item) => item.priority),
    column((item) => item.dedupId),
    batch.map((item) => ms(item.availableAt)),
    batch.map((item) => ms(item.delayMs)),
    batch.map((item) => ms(item.timeoutMs)),
    batch.map((item) => traceContextColumn(item.workflow.traceContext)),
    batch.map((item) => attributesColumn(item.workflow.attributes)),
    allOrNone,
    column((item) => item.workflow.parentWorkflowId),
    batch.map((item) => ms(item.workflow.deadlineAt)),
  ]);
  const best = new Map<string, OutcomeRow>();
  for (const row of rows) {
    const seen = best.get(row.for_id);
    if (!seen || OUTCOME_RANK[row.outcome] < OUTCOME_RANK[seen.outcome]) best.set(row.for_id, row);
  }
  return batch.map((item) => {
    const row = best.get(item.workflow.workflowId);
    return row && { kind: row.outcome, workflow: toWorkflowRecord(row) };
  });
}

/** Frees `dedupId` on `queueName` if its holder finished. */
export async function releaseDedup(
  db: SqlQueryable,
  q: QueueItemStatements,
  queueName: string,
  dedupId: string,
): Promise<void> {
  await db.query(q.releaseDedup, [queueName, dedupId]);
}

/** One debounce attempt; `undefined` when a concurrent debounce won the insert: try again. */
export async function debounceItem(
  db: SqlQueryable,
  q: QueueItemStatements,
  item: DebounceItem,
): Promise<DebounceResult | undefined> {
  const w = item.workflow;
  const rows = await db.query<{ workflow_id: string; outcome: string; name: string }>(q.debounce, [
    ...workflowValues(w),
    item.queueName,
    item.partitionKey,
    item.priority,
    item.key,
    Math.round(item.periodMs),
    Number.isFinite(item.maxWaitMs) ? Math.round(item.maxWaitMs) : null,
    attributesColumn(w.attributes),
  ]);
  const [row] = rows;
  return row && { workflowId: row.workflow_id, created: row.outcome === "created", name: row.name };
}

export async function releaseItems(
  db: SqlQueryable,
  q: QueueItemStatements,
  workflowIds: readonly string[],
  executorId: string,
): Promise<void> {
  await db.query(q.release, [workflowIds, executorId]);
}

export async function countItems(
  db: SqlQueryable,
  q: QueueItemStatements,
  queueName: string,
): Promise<QueueCounts> {
  const rows = await db.query<{ status: string; n: number }>(q.counts, [queueName]);
  const counts: Record<string, number> = {
    ENQUEUED: 0,
    PENDING: 0,
    SUCCESS: 0,
    ERROR: 0,
    CANCELLED: 0,
    DEAD_LETTER: 0,
    delayed: 0,
  };
  for (const row of rows) counts[row.status] = Number(row.n);
  return counts as unknown as QueueCounts;
}

export async function lastTick(
  db: SqlQueryable,
  q: QueueItemStatements,
  scheduleName: string,
): Promise<number | undefined> {
  const [row] = await db.query<{ last_tick_at: string | number }>(q.lastTick, [scheduleName]);
  return row && Number(row.last_tick_at);
}

export async function recordTick(
  db: SqlQueryable,
  q: QueueItemStatements,
  scheduleName: string,
  tickAt: number,
): Promise<void> {
  await db.query(q.recordTick, [scheduleName, Math.round(tickAt)]);
}
