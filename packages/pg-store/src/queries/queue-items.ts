/**
 * The statements that put workflows on queues and read queue state: enqueue (with dedup and
 * delay), debounce, release, counts, and the cron schedules' last ticks. A batch of enqueues
 * (one, or up to a thousand) and a debounce are one statement each: the queue items are inserted
 * first, where a dedup or debounce key can refuse them, then the workflows from them, then the
 * queue's notification (no foreign key ties an item to its workflow since migration 0016: the
 * statement writes both). The claim lives in `queue-claim.ts`.
 */
import { QUEUED_EXECUTOR, type NewWorkflow, type WorkflowRecord } from "@cairn/core";
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
  workflowColumnsOf,
  type WorkflowRow,
} from "../rows.js";
import type { SchemaNames } from "../schema-names.js";
import { NOW_MS } from "./now-ms.js";

export type QueueItemStatements = ReturnType<typeof queueItemStatements>;

/** `select pg_notify(...)` announcing work on queue `$param` once per row of `source`. */
export const notifyQueue = (channel: string, param: string, source: string): string =>
  `select pg_notify('${channel}', to_json(array['queue', ${param}::text])::text) from ${source}`;

/** `NOW_MS` computed once per statement (an InitPlan), not per row and column. */
const NOW_ONCE = `(select ${NOW_MS})`;

/** As many nulls as `WORKFLOW_COLUMNS` has columns, under the same names. */
const NULL_WORKFLOW_COLUMNS = WORKFLOW_COLUMNS.split(", ")
  .map((column) => `null as ${column.split(" as ").at(-1) ?? column}`)
  .join(", ");

/**
 * The statement behind `enqueue` and `enqueueAll`: `itemConflict` is the items' arbiter. The
 * workflows' insert has none: a row of the ID that appeared after the snapshot fails the statement.
 */
function enqueueStatement(
  quoted: string,
  workflows: string,
  channel: string,
  itemConflict: string,
): string {
  const items = `${quoted}.queue_items`;
  return `
      with input as (
        select * from rows from (json_to_recordset($1::text::json) as (
            id text, name text, input text, executor text, version text, queue text,
            partition text, priority int, dedup text, at bigint, delay bigint, timeout bigint,
            trace json, attributes jsonb, parent text, deadline bigint))
          with ordinality
          as i(workflow_id, name, input, executor_id, app_version, queue_name, partition_key,
               priority, dedup_id, available_at, delay_ms, timeout_ms, trace_context, attributes,
               parent_workflow_id, deadline_at, ord)
      ),
      existing as (
        select x.* from input i cross join lateral (
          select ${WORKFLOW_COLUMNS} from ${workflows} w
          where w.workflow_id = i.workflow_id limit 1
        ) x
      ),
      item as (
        insert into ${items} (workflow_id, queue_name, partition_key, priority, dedup_id,
                              available_at, timeout_ms, enqueued_at)
        select i.workflow_id, i.queue_name, i.partition_key, i.priority, i.dedup_id,
               coalesce(i.available_at, ${NOW_ONCE} + coalesce(i.delay_ms, 0)), i.timeout_ms,
               ${NOW_ONCE}
        from input i
        where i.workflow_id not in (select workflow_id from existing)
          and not ($2::boolean and exists (
            select 1 from input c join existing e on e.workflow_id = c.workflow_id
            where e.name <> c.name
          ))
        order by i.ord
        ${itemConflict}
        returning workflow_id
      ),
      inserted as (
        insert into ${workflows} (workflow_id, name, status, input, executor_id, app_version,
                                  queue_name, trace_context, created_at, updated_at,
                                  queue_partition_key, queue_priority, queue_dedup_id, attributes,
                                  parent_workflow_id, deadline_at)
        select i.workflow_id, i.name, 'ENQUEUED', i.input, i.executor_id, i.app_version,
               i.queue_name, i.trace_context::text, ${NOW_ONCE}, ${NOW_ONCE},
               nullif(i.partition_key, ''), i.priority, i.dedup_id, i.attributes,
               i.parent_workflow_id, i.deadline_at
        from item join input i on i.workflow_id = item.workflow_id
        returning workflow_id, queue_name
      ),
      notified as (
        ${notifyQueue(channel, "queue_name", "(select distinct queue_name from inserted) n")}
      )
      select null::text as for_id, null::text as outcome, ${NOW_ONCE} as now_ms,
             ${NULL_WORKFLOW_COLUMNS}
      where (select count(*) from notified) >= 0
      union all
      select i.workflow_id, 'exists', null, ${workflowColumnsOf("e")}
      from input i join existing e on e.workflow_id = i.workflow_id
      union all
      select i.workflow_id, 'duplicate', null, ${workflowColumnsOf("w")}
      from input i
      cross join lateral (
        select q.workflow_id from ${items} q
        where q.queue_name = i.queue_name and q.dedup_id = i.dedup_id
          and q.dedup_id is not null
        limit 1
      ) q
      join ${workflows} w on w.workflow_id = q.workflow_id
      where i.dedup_id is not null
        and i.workflow_id not in (select workflow_id from existing)
      union all
      select i.workflow_id, null, null, ${NULL_WORKFLOW_COLUMNS}
      from input i
      where i.workflow_id not in (select workflow_id from inserted)
        and i.workflow_id not in (select workflow_id from existing)`;
}

/** The SQL text of the queue item statements for one schema. */
export function queueItemStatements({ quoted, workflows, channel }: SchemaNames) {
  const items = `${quoted}.queue_items`;
  const schedules = `${quoted}.schedules`;
  return {
    // The items (distinct workflow IDs) as one JSON array of flat objects ($1, see
    // `enqueueItems`: one text parameter, no per-column arrays); $2 true: write nothing if some
    // item's ID is held by a workflow of another name (a bulk enqueue is all or none). Items are
    // inserted in array order (their FIFO order); of two with one dedup key, the first wins.
    // Rows already in `workflows` are looked up one by one (lateral, `limit 1`): a primary-key
    // probe per item, never a scan of the table (why: `steps.insert` in queries/steps.ts); so
    // are the holders of dedup keys, through the dedup index: as a join, the generic plan read
    // every queue item (swept ones included, until a vacuum) even for an item without a key.
    // Returns only what the caller cannot know: a first row (`for_id` null) with the
    // statement's time, the `created_at` of every row it inserted; then per item not inserted
    // (`for_id`) the row holding its ID (`exists`), the live (or finished) holder of its dedup
    // key (`duplicate`), and a row with no outcome — alone when a concurrent write committed
    // after this statement's snapshot (or an earlier item of the batch took its dedup key): try
    // that one again. `enqueue` skips an item whose queue item (its ID or dedup key) a
    // concurrent write took; `enqueueAll` fails on such an ID instead. Both fail on a workflow
    // row of the ID committed after the snapshot (a unique violation on `workflows_pkey`,
    // nothing written): skipping it would keep the item just inserted, attached to a workflow
    // that is not queued (a plain `start` of the same ID), which no claim would run and no
    // recovery would take over. The caller tries again and then meets the row. One
    // notification per queue.
    enqueue: enqueueStatement(quoted, workflows, channel, "on conflict do nothing"),
    enqueueAll: enqueueStatement(
      quoted,
      workflows,
      channel,
      "on conflict (queue_name, dedup_id) where dedup_id is not null do nothing",
    ),
    // `enqueueAll` for a batch without dedup keys, where its arbiter can never match: a plain
    // insert. With ON CONFLICT every row is inserted speculatively (a speculative-insertion lock,
    // an arbiter check and a confirmation record in the WAL per item: ~1 of each item's 8 WAL
    // records in a bulk enqueue).
    enqueueAllPlain: enqueueStatement(quoted, workflows, channel, ""),
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
      where q.queue_name = $1 and q.started_at is null and q.available_at > q.enqueued_at
        and q.available_at > ${NOW_MS}`,
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

/** A row of `enqueue`: the statement's time (first row), or an outcome of an item not inserted. */
type OutcomeRow = {
  for_id: string | null;
  outcome: "exists" | "duplicate" | null;
  now_ms: string | number | bigint | null;
} & { [K in keyof WorkflowRow]: WorkflowRow[K] | null };

/** Which of an item's rows tells its outcome: the ID's holder, else the dedup's, else none. */
const rankOf = (outcome: OutcomeRow["outcome"]): number =>
  outcome === "exists" ? 1 : outcome === "duplicate" ? 2 : 3;

/**
 * One attempt at a batch of items with distinct workflow IDs, in one statement. Per item, in
 * order: its outcome, or `undefined` when a concurrent write hid the row (try that one again) —
 * unless `failOnRace`, where an ID inserted concurrently fails the statement instead (a unique
 * violation, see {@link isEnqueueRace}) and nothing is written.
 */
export async function enqueueItems(
  db: SqlQueryable,
  q: QueueItemStatements,
  batch: readonly NewQueueItem[],
  allOrNone = false,
  failOnRace = false,
): Promise<(EnqueueResult | undefined)[]> {
  const ms = (value: number | undefined) => (value === undefined ? null : Math.round(value));
  const flat = batch.map((item) => {
    const w = item.workflow;
    return {
      id: w.workflowId,
      name: w.name,
      input: w.input,
      executor: w.executorId,
      version: w.appVersion,
      queue: item.queueName,
      partition: item.partitionKey,
      priority: item.priority,
      dedup: item.dedupId,
      at: ms(item.availableAt),
      delay: ms(item.delayMs),
      timeout: ms(item.timeoutMs),
      trace: w.traceContext,
      attributes: w.attributes,
      parent: w.parentWorkflowId,
      deadline: ms(w.deadlineAt),
    };
  });
  const statement = !failOnRace
    ? q.enqueue
    : batch.some((item) => item.dedupId !== undefined)
      ? q.enqueueAll
      : q.enqueueAllPlain;
  const rows = await db.query<OutcomeRow>(statement, [JSON.stringify(flat), allOrNone]);
  let now = Number.NaN;
  const best = new Map<string, OutcomeRow>();
  for (const row of rows) {
    if (row.for_id === null) {
      now = Number(row.now_ms);
      continue;
    }
    const seen = best.get(row.for_id);
    if (!seen || rankOf(row.outcome) < rankOf(seen.outcome)) best.set(row.for_id, row);
  }
  return batch.map((item) => {
    const row = best.get(item.workflow.workflowId);
    if (row === undefined) return { kind: "created", workflow: enqueuedRecord(item, now) };
    return row.outcome === null
      ? undefined
      : { kind: row.outcome, workflow: toWorkflowRecord(row as WorkflowRow) };
  });
}

/** True for the error `enqueueAll` fails with when an item's ID was inserted concurrently. */
export function isEnqueueRace(error: unknown): boolean {
  const { code, constraint_name: constraint } = (error ?? {}) as {
    code?: unknown;
    constraint_name?: unknown;
  };
  return (
    code === "23505" &&
    (constraint === undefined ||
      constraint === "workflows_pkey" ||
      constraint === "queue_items_pkey")
  );
}

/** The record of a workflow just enqueued from `item` at `at`, as the row reads back. */
function enqueuedRecord(item: NewQueueItem, at: number): WorkflowRecord {
  const w = item.workflow;
  return {
    workflowId: w.workflowId,
    name: w.name,
    status: "ENQUEUED",
    input: w.input,
    output: undefined,
    error: undefined,
    executorId: w.executorId,
    parentWorkflowId: w.parentWorkflowId,
    recoveryAttempts: 0,
    deadlineAt: w.deadlineAt === undefined ? undefined : Math.round(w.deadlineAt),
    forkedFrom: undefined,
    queueName: item.queueName,
    appVersion: w.appVersion,
    ownerEpoch: 0,
    createdAt: at,
    updatedAt: at,
    traceContext: w.traceContext,
    startedAt: undefined,
    completedAt: undefined,
    priority: item.priority,
    dedupId: item.dedupId,
    partitionKey: item.partitionKey === "" ? undefined : item.partitionKey,
    attributes: w.attributes,
  };
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
