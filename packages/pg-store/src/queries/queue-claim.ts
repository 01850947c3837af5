/**
 * The queue claim: the statement that moves enqueued workflows to the claiming executor within
 * the queue's limits. It runs in a transaction that first takes the queue's advisory lock, so
 * claims of one queue are serialized across all processes: each one counts what is running and
 * what started in the rate window AFTER the previous claim committed, and so can never push the
 * queue past a limit (two processes each counting 49 of 50 running and each taking one cannot
 * happen). Claims of different queues never wait for each other. The transaction's statements
 * (BEGIN, lock and settings, claim, COMMIT) go out together: one round trip per claim. The
 * limits are the claimer's definition with the queue's runtime limits (`queues.limits`, read by
 * the statement under the lock) in their place, so a change made anywhere is in force at every
 * process's next claim. Within the statement:
 *
 * 1. items of executors that are gone (stopped, past their lease, unknown) go back to the queue,
 *    their workflows fenced off (owner epoch + 1) and the put-back counted as a recovery as in
 *    core's takeover (reset to 1 after progress): past its name's limit, a workflow moves to
 *    DEAD_LETTER instead, so a crash loop ends;
 * 2. items whose workflow finished and whose start left the rate window are deleted (the
 *    workflow row keeps its queue, partition and priority, for a resume);
 * 3. per partition ('' when the queue is not partitioned): running = started items whose
 *    workflow is PENDING; starts in the rate window; room = the tightest limit left;
 * 4. the heads of the waiting items of each partition with room, in priority then FIFO order,
 *    are locked `for update skip locked` (a debounce or cancel holding one is passed over): the
 *    head of the items available when enqueued and that of the delayed items now due, each read
 *    through its own index (migration 0018), so items due later are never read;
 * 5. they are interleaved across partitions and cut to what this executor may still run and
 *    to what the queue as a whole (all partitions) may still run;
 * 6. their workflows become PENDING, owned by the claimer at a new epoch, and are returned,
 *    each saying whether it has recorded steps (most never ran: they need no history read);
 * 7. the claim says whether claimable items were left waiting (`more`): when not, the runtime
 *    waits for an enqueue's notification instead of claiming again as each run ends.
 *
 * Before all that, the claim writes the outcomes of the claimer's runs it was given (`finishes`),
 * as the workflow store's finish statement does — fenced by owner and epoch, only over a PENDING
 * workflow, with a `status` notification each (and migration 0013's wake trigger) — and counts
 * them as no longer running, so their slots are filled again by this very claim: one round trip
 * and one commit where a finish and a claim took two. Their items go with the sweep (2).
 */
import { QUEUED_EXECUTOR, type WorkflowRecord } from "@cairn/core";
import type { ClaimFinishResult, ClaimRequest, ClaimResult, QueueLimits } from "@cairn/queue";
import type { SqlExecutor } from "../executors/sql-executor.js";
import { toWorkflowRecord, workflowColumnsOf, type WorkflowRow } from "../rows.js";
import type { SchemaNames } from "../schema-names.js";
import { recoveryLimitParams } from "./claims.js";
import { notifyFrom } from "./notify.js";
import { NOW_MS } from "./now-ms.js";

export type QueueClaimStatements = ReturnType<typeof queueClaimStatements>;

/** First key of the queues' advisory locks: "caqu" in ASCII (migrations use "cair"). */
const QUEUE_LOCK_CLASS = 0x63617175;

/** A stable signed 32-bit hash (FNV-1a) of schema and queue: the second advisory lock key. */
export function queueLockKey(schema: string, queueName: string): number {
  let hash = 0x811c9dc5;
  for (const byte of new TextEncoder().encode(`queue:${schema}:${queueName}`)) {
    hash = Math.imul(hash ^ byte, 0x01000193);
  }
  return hash | 0;
}

/** The SQL text of the claim statements for one schema. */
export function queueClaimStatements({
  quoted,
  workflows,
  steps,
  executors,
  channel,
}: SchemaNames) {
  const items = `${quoted}.queue_items`;
  // Whether item q's workflow may be claimed by this claimer. A scalar subquery, probed per item
  // the index walk reaches: as a join, a generic plan could read every ENQUEUED workflow and
  // sort them (seen at 5,000 waiting: 30 ms of a claim) instead of walking the index's head.
  const runnable = `coalesce((
            select true from ${workflows} w
            where w.workflow_id = q.workflow_id and w.status = 'ENQUEUED'
              and w.name <> all($3::text[])
              and ($4::text is null or w.app_version is null or w.app_version = $4::text
                   or not exists (select 1 from alive a where a.app_version = w.app_version))
          ), false)`;
  return {
    // The queue's lock, and the claim's settings for its transaction, in one statement. The
    // claim's plan is made once per connection (its custom plans cost more to make than the
    // claim costs to run), and never compiled: once the tables are analyzed with a backlog of
    // thousands, the plan's estimated cost passes jit_above_cost and a generic plan is
    // JIT-compiled at every execution (~400 ms of CPU per claim at 30,000 items, for a claim
    // that runs in 1-3 ms).
    lock: `select pg_advisory_xact_lock(${QUEUE_LOCK_CLASS}, $1::int),
                  set_config('plan_cache_mode', 'force_generic_plan', true),
                  set_config('jit', 'off', true)`,
    // $1 queue, $2 executor, $3 names left to others, $4 version, $5 concurrency,
    // $6 worker concurrency, $7 rate limit, $8 rate period ms, $9 max, $10 every other
    // executor is gone (PGlite), $11 total concurrency (all partitions), $12/$13 names and
    // their recovery limits, $14-$20 the outcomes to write (workflow, executor, status,
    // output, error, fence executor, fence epoch; empty arrays: none). Nulls: no such limit.
    // `lim` puts the queue's runtime limits (`queues.limits`) in their place, key by key (a
    // JSON null lifts one). The first row is the summary (limits applied, waits, `more`,
    // `shared`, and what became of each outcome, in their order); then one row per claimed or
    // dead-lettered workflow, its columns as one JSON object, and has_steps telling a claimed
    // workflow that ran before (it has recorded steps) from one that starts with an empty
    // history. Rows of a few columns, not ~40: postgres.js builds a row of more than about 17
    // columns as a V8 dictionary object, slow to build and to read (claim loop: ~1 ms of Node
    // CPU per claim of 50, with garbage to match).
    claim: `
      with recursive lim as (
        select
          case when l ? 'concurrency' then (l ->> 'concurrency')::int else $5::int end
            as concurrency,
          case when l ? 'workerConcurrency' then (l ->> 'workerConcurrency')::int else $6::int end
            as worker_concurrency,
          case when l ? 'rateLimit' then (l -> 'rateLimit' ->> 'limit')::int else $7::int end
            as rate_limit,
          case when l ? 'rateLimit' then (l -> 'rateLimit' ->> 'periodMs')::bigint
               else $8::bigint end as rate_period_ms,
          case when l ? 'totalConcurrency' then (l ->> 'totalConcurrency')::int else $11::int end
            as total_concurrency
        from (select (select limits from ${quoted}.queues where queue_name = $1) as l) runtime
      ),
      fin_input as (
        select * from unnest($14::text[], $15::text[], $16::text[], $17::text[], $18::text[],
                             $19::text[], $20::int[]) with ordinality
          as o(workflow_id, executor_id, status, output, error, fence_executor_id, fence_epoch, n)
      ),
      -- Each outcome's row is probed by primary key: the outcomes (unnest, not the CTE) drive a
      -- nested loop over workflows_pkey. The status test is collated "C" so that no partial
      -- index of PENDING workflows can answer it: with a plain =, the generic plan read every
      -- PENDING workflow through the recovery index (dead entries included), and with
      -- workflow_id = any($14) it joined each row found with every outcome (auto_explain:
      -- 2,450 join rows to finish 50, 2 ms of a claim).
      finished as (
        update ${workflows} w
        set status = o.status, output = o.output, error = o.error,
            executor_id = o.executor_id, updated_at = ${NOW_MS}, completed_at = ${NOW_MS}
        from unnest($14::text[], $15::text[], $16::text[], $17::text[], $18::text[],
                    $19::text[], $20::int[])
          as o(workflow_id, executor_id, status, output, error, fence_executor_id, fence_epoch)
        where w.workflow_id = o.workflow_id
          and w.status = 'PENDING' collate "C"
          and w.owner_epoch = o.fence_epoch and w.executor_id = o.fence_executor_id
        returning w.workflow_id, w.status, w.executor_id
      ),
      fin_notified as (${notifyFrom(channel, "status", ["workflow_id", "status", "executor_id"], "finished")}),
      fin_outcome as (
        select o.n,
               case when f.workflow_id is not null then 'finished'
                    when exists (
                      select 1 from ${workflows} w
                      where w.workflow_id = o.workflow_id and w.status = 'PENDING' collate "C"
                        and not (w.owner_epoch = o.fence_epoch
                                 and w.executor_id = o.fence_executor_id)
                    ) then 'fenced'
                    else 'stale' end as result
        from fin_input o left join finished f on f.workflow_id = o.workflow_id
      ),
      alive as (
        select executor_id, app_version from ${executors}
        where status = 'alive' and heartbeat_at + lease_ms >= ${NOW_MS}
      ),
      -- The queue's started items with their workflow's state: read once for gone, swept and
      -- running (three scans of the same rows cost the claim more than its own writes).
      -- Read in started_at order under a limit that is not a constant, so that the plan walks
      -- the index (a plain index scan): it marks the entries of items deleted since (the sweep)
      -- dead as it passes them, and later claims skip them. A bitmap scan, the plan chosen on
      -- tables never analyzed, read every entry the queue's finished items left until a vacuum
      -- (~2,500 on average over a drain of 5,000: ~0.4 ms of each claim; ~30% of a claim's time
      -- at 20,000).
      started_items as (
        select q.workflow_id, q.partition_key, q.started_at, q.previous_started_at, w.status,
               w.executor_id, w.name, w.recovery_attempts, w.recovery_progress
        from (select workflow_id, partition_key, started_at, previous_started_at from ${items}
              where queue_name = $1 and started_at is not null
              order by started_at limit (select 2147483647)) q
        join ${workflows} w on w.workflow_id = q.workflow_id
      ),
      gone as (
        select s.workflow_id, p.progress, l.max_attempts,
               case when p.progress > s.recovery_progress then 1
                    else s.recovery_attempts + 1 end as attempts
        from started_items s
        cross join lateral (
          select count(*)::int as progress from ${steps} st where st.workflow_id = s.workflow_id
        ) p
        left join unnest($12::text[], $13::int[]) as l(name, max_attempts) on l.name = s.name
        where s.status = 'PENDING' and s.executor_id <> $2
          and ($10::boolean or not exists (
            select 1 from alive a where a.executor_id = s.executor_id
          ))
      ),
      requeued as (
        update ${workflows} w
        set status = case when g.attempts > g.max_attempts then 'DEAD_LETTER' else 'ENQUEUED' end,
            executor_id = case when g.attempts > g.max_attempts then $2
                               else '${QUEUED_EXECUTOR}' end,
            owner_epoch = w.owner_epoch + 1, recovery_attempts = g.attempts,
            recovery_progress = g.progress, updated_at = ${NOW_MS},
            started_at = case when g.attempts > g.max_attempts then w.started_at end,
            completed_at = case when g.attempts > g.max_attempts then ${NOW_MS} end
        from gone g
        where w.workflow_id = g.workflow_id and w.status = 'PENDING'
        returning ${workflowColumnsOf("w")}
      ),
      unstarted as (
        update ${items} q
        set started_at = null, previous_started_at = q.started_at, claimed_by = null,
            debounce_key = null
        from requeued r where q.workflow_id = r.workflow_id and r.status = 'ENQUEUED'
      ),
      swept as (
        delete from ${items} q using started_items s
        where q.workflow_id = s.workflow_id
          and (s.status not in ('ENQUEUED', 'PENDING')
               or s.workflow_id in (select workflow_id from finished))
          and s.started_at < ${NOW_MS} - coalesce((select rate_period_ms from lim), 0)
          and (s.previous_started_at is null
               or s.previous_started_at < ${NOW_MS} - coalesce((select rate_period_ms from lim), 0))
      ),
      running as (
        select partition_key, count(*)::int as total,
               count(*) filter (where executor_id = $2)::int as mine
        from started_items
        where status = 'PENDING' and workflow_id not in (select workflow_id from finished)
        group by partition_key
      ),
      starts as (
        select partition_key, count(*)::int as n, min(at) as oldest from (
          select partition_key, started_at as at from ${items}
          where (select rate_limit from lim) is not null and queue_name = $1
            and started_at >= ${NOW_MS} - (select rate_period_ms from lim)
          union all
          select partition_key, previous_started_at from ${items}
          where (select rate_limit from lim) is not null and queue_name = $1
            and previous_started_at >= ${NOW_MS} - (select rate_period_ms from lim)
        ) s group by partition_key
      ),
      -- The waiting items are in one of two indexes (migration 0018): "ready" (available when
      -- enqueued, available_at <= enqueued_at: most items) in priority then FIFO order, and
      -- "delayed", read from the oldest due time up, so items due later cost the claim nothing.
      ready_parts(k) as (
        -- order by ... limit 1, not min(): the generic plan then walks the ready index
        (select partition_key from ${items}
         where queue_name = $1 and started_at is null and available_at <= enqueued_at
         order by partition_key limit 1)
        union all
        select (select partition_key from ${items}
                where queue_name = $1 and started_at is null and available_at <= enqueued_at
                  and partition_key > ready_parts.k
                order by partition_key limit 1)
        from ready_parts where ready_parts.k is not null
      ),
      due_parts as (
        select distinct partition_key as k from ${items}
        where queue_name = $1 and started_at is null and available_at > enqueued_at
          and available_at <= ${NOW_MS}
      ),
      parts(k) as (
        select k from ready_parts where k is not null
        union
        select k from due_parts
      ),
      room as (
        select p.k,
               least($9::int, (select concurrency from lim) - coalesce(r.total, 0), (select rate_limit from lim) - coalesce(s.n, 0)) as n
        from parts p
        left join running r on r.partition_key = p.k
        left join starts s on s.partition_key = p.k
      ),
      -- The heads of each partition's ready and due delayed items (each locked skip locked,
      -- disjoint), merged in priority then FIFO order and cut to the partition's room.
      candidates as (
        select room.k, room.n, c.* from room cross join lateral (
          select q.workflow_id, q.priority, q.seq, q.timeout_ms from ${items} q
          where q.queue_name = $1 and q.partition_key = room.k and q.started_at is null
            and q.available_at <= q.enqueued_at and q.available_at <= ${NOW_MS} and ${runnable}
          order by q.priority, q.seq
          limit greatest(room.n, 0)
          for update of q skip locked
        ) c
        union all
        select room.k, room.n, c.* from room join due_parts d on d.k = room.k cross join lateral (
          select q.workflow_id, q.priority, q.seq, q.timeout_ms from ${items} q
          where q.queue_name = $1 and q.partition_key = room.k and q.started_at is null
            and q.available_at > q.enqueued_at and q.available_at <= ${NOW_MS} and ${runnable}
          order by q.priority, q.seq
          limit greatest(room.n, 0)
          for update of q skip locked
        ) c
      ),
      picked as (
        select workflow_id, priority, seq, timeout_ms, n,
               row_number() over (partition by k order by priority, seq) as turn
        from candidates
      ),
      chosen as (
        select workflow_id, timeout_ms from picked where turn <= n
        order by turn, priority, seq
        limit greatest(0, least($9::int,
          (select worker_concurrency from lim) - (select coalesce(sum(mine), 0) from running)::int,
          (select total_concurrency from lim) - (select coalesce(sum(total), 0) from running)::int))
      ),
      -- The chosen workflows and their items are found by primary key (= any of an array): a
      -- join alone let the generic plan, once the tables were analyzed with a backlog, hash
      -- every ENQUEUED workflow to update the few chosen (13 ms per claim at 30,000 waiting).
      -- Nor is chosen joined for the timeout: the plan rescanned it for every row (50 x 50 rows
      -- per claim of 50); a timeout is read from the item, by primary key, when there is one.
      claimed as (
        update ${workflows} w
        set status = 'PENDING', executor_id = $2, owner_epoch = w.owner_epoch + 1,
            deadline_at = case when (select bool_or(timeout_ms is not null) from chosen)
                               then coalesce(${NOW_MS} + (select q.timeout_ms from ${items} q
                                                           where q.workflow_id = w.workflow_id),
                                             w.deadline_at)
                               else w.deadline_at end,
            updated_at = ${NOW_MS}, started_at = ${NOW_MS}
        where w.workflow_id = any(array(select workflow_id from chosen)) and w.status = 'ENQUEUED'
        returning ${workflowColumnsOf("w")}
      ),
      started as (
        update ${items} q set started_at = ${NOW_MS}, claimed_by = $2, debounce_key = null
        where q.workflow_id = any(array(select workflow_id from claimed))
      ),
      outcome as (
        select 'claimed' as outcome, * from claimed
        union all
        select 'dead', * from requeued where status = 'DEAD_LETTER'
      ),
      summary as (
        select (select count(*) from requeued where status = 'ENQUEUED')::int as requeued, lim.*,
               -- (available_at > enqueued_at: the delayed items' index, migration 0016)
               (select min(available_at) from ${items}
                where queue_name = $1 and started_at is null and available_at > enqueued_at
                  and available_at > ${NOW_MS}) - ${NOW_MS} as delay_ms,
               (select min(s.oldest) from starts s where s.n >= (select rate_limit from lim))
                 + (select rate_period_ms from lim) - ${NOW_MS} as rate_ms,
               -- Claimable items left waiting (the snapshot still shows the claimed ones)
               -- (ready, then due delayed: each read in its index's order, so the limit stops the
               -- scan; a bitmap scan would read every entry first)
               (select count(*) from (
                  select 1 from ${items}
                  where queue_name = $1 and started_at is null and available_at <= enqueued_at
                    and available_at <= ${NOW_MS}
                  order by partition_key, priority, seq
                  limit $9::int + 1) w)
                 + (select count(*) from (
                  select 1 from ${items}
                  where queue_name = $1 and started_at is null and available_at > enqueued_at
                    and available_at <= ${NOW_MS}
                  order by available_at
                  limit $9::int + 1) d)
                 > (select count(*) from claimed) as more,
               (select count(*) from fin_notified)::int as notified,
               -- all written (the usual case): no join of outcomes with finished (50 x 50 rows)
               case when (select count(*) from finished) = coalesce(cardinality($14::text[]), 0)
                    then array_fill('finished'::text, array[coalesce(cardinality($14::text[]), 0)])
                    else array(select result from fin_outcome order by n) end as finished,
               exists (select 1 from started_items s
                       where s.status = 'PENDING' and s.executor_id <> $2) as shared
        from lim
      )
      -- has_steps probes the steps' primary key per claimed workflow (lateral, limit 1): as an
      -- exists() the generic plan could hash the whole steps table instead.
      select to_json(summary)::text as summary, null as outcome, null as workflow,
             null::boolean as has_steps
      from summary
      union all
      select null, oc.outcome, row_to_json(oc)::text, coalesce(h.has_steps, false)
      from outcome oc
      left join lateral (
        select true as has_steps from ${steps} st
        where oc.outcome = 'claimed' and st.workflow_id = oc.workflow_id limit 1
      ) h on true`,
  };
}

/** The claim's first row: what it applied and found (a JSON object: int8 as numbers). */
interface ClaimSummary {
  requeued: number;
  delay_ms: number | null;
  rate_ms: number | null;
  concurrency: number | null;
  worker_concurrency: number | null;
  rate_limit: number | null;
  rate_period_ms: number | null;
  total_concurrency: number | null;
  more: boolean;
  shared: boolean;
  finished: ClaimFinishResult[];
}

/** A row of the claim: the summary, or a claimed or dead-lettered workflow. */
type ClaimRow =
  | { summary: string; outcome: null; workflow: null; has_steps: null }
  | { summary: null; outcome: "claimed" | "dead"; workflow: string; has_steps: boolean };

/**
 * Takes the queue's lock, then claims, in one transaction sent in one round trip: the claim
 * statement runs after the lock is granted, in a snapshot that sees every claim committed
 * before.
 */
export async function claimItems(
  db: SqlExecutor,
  q: QueueClaimStatements,
  schema: string,
  request: ClaimRequest,
  othersGone: boolean,
): Promise<ClaimResult> {
  const { concurrency, totalConcurrency, workerConcurrency, rateLimit } = request.limits;
  const claim = [
    request.queueName,
    request.executorId,
    request.excludeNames,
    request.appVersion ?? null,
    concurrency ?? null,
    workerConcurrency ?? null,
    rateLimit?.limit ?? null,
    rateLimit?.periodMs ?? null,
    request.max,
    othersGone,
    totalConcurrency ?? null,
    ...recoveryLimitParams(request.maxRecoveryAttempts ?? {}),
    ...finishParams(request.finishes ?? []),
  ];
  const answers = await db.pipelinedTransaction([
    { text: q.lock, params: [queueLockKey(schema, request.queueName)] },
    { text: q.claim, params: claim },
  ]);
  let summary: ClaimSummary | undefined;
  const claimed: WorkflowRecord[] = [];
  const withoutSteps: string[] = [];
  const deadLettered: WorkflowRecord[] = [];
  for (const row of (answers[1] ?? []) as ClaimRow[]) {
    if (row.summary !== null) {
      summary = JSON.parse(row.summary) as ClaimSummary;
      continue;
    }
    const record = toWorkflowRecord(JSON.parse(row.workflow) as WorkflowRow);
    if (row.outcome === "dead") deadLettered.push(record);
    else {
      claimed.push(record);
      if (!row.has_steps) withoutSteps.push(record.workflowId);
    }
  }
  const waits = [summary?.delay_ms, summary?.rate_ms].filter(
    (ms): ms is number => ms !== null && ms !== undefined,
  );
  return {
    claimed,
    withoutSteps,
    ...(summary ? { more: summary.more, shared: summary.shared } : {}),
    requeued: summary?.requeued ?? 0,
    deadLettered,
    ...(waits.length > 0 ? { retryInMs: Math.max(1, Math.min(...waits)) } : {}),
    ...(summary ? { limits: appliedLimits(summary) } : {}),
    ...(request.finishes
      ? {
          finished: request.finishes.map((_, i) => summary?.finished[i] ?? "stale"),
        }
      : {}),
  };
}

/** The outcomes to write, as the claim's parameters $14 to $20. */
function finishParams(finishes: NonNullable<ClaimRequest["finishes"]>): unknown[][] {
  const column = <T>(pick: (f: (typeof finishes)[number]) => T | undefined) =>
    finishes.map((f) => pick(f) ?? null);
  return [
    column(({ outcome }) => outcome.workflowId),
    column(({ outcome }) => outcome.executorId),
    column(({ outcome }) => outcome.status),
    column(({ outcome }) => outcome.output),
    column(({ outcome }) => outcome.error),
    column(({ fence }) => fence.executorId),
    column(({ fence }) => fence.epoch),
  ];
}

/** The limits the claim applied, as `QueueLimits` (absent: unlimited). */
function appliedLimits(row: ClaimSummary): QueueLimits {
  const limits: { -readonly [K in keyof QueueLimits]: QueueLimits[K] } = {};
  if (row.concurrency !== null) limits.concurrency = row.concurrency;
  if (row.total_concurrency !== null) limits.totalConcurrency = row.total_concurrency;
  if (row.worker_concurrency !== null) limits.workerConcurrency = row.worker_concurrency;
  if (row.rate_limit !== null && row.rate_period_ms !== null) {
    limits.rateLimit = { limit: row.rate_limit, periodMs: Number(row.rate_period_ms) };
  }
  return limits;
}
