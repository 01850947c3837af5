/**
 * The statements of suspension (decision 0014): a batch of suspensions written under their
 * fences, the claim of due suspensions with the next due time, and the poll's list of runnable
 * workflows. A suspension is in force while `status = 'PENDING' and wake_epoch = owner_epoch`;
 * the partial indexes of migration 0011 use exactly these predicates (the GIN index of wake keys,
 * migration 0015, only `wake_keys is not null`, so a lookup by key can use no other index).
 *
 * A batch with arrivals to wait for (`WakeOn`) runs as one transaction of two statements: the
 * first locks the suspending rows and the rows whose events or finish they wait for, as the
 * triggers of migrations 0013 and 0015 lock them when a message, an event or a finish arrives;
 * the second, with a snapshot taken after those locks, checks the arrivals and writes the
 * suspensions that found none. An arrival committed before the lock is seen by the check; one
 * after it waits for the commit and then finds the suspension and makes it due.
 */
import {
  wakeKeyOf,
  type DueClaim,
  type DueWorkflows,
  type Fence,
  type WakeOn,
  type WorkflowRecord,
  type WorkflowCursor,
} from "@cairn/core";
import type { SqlExecutor, SqlQueryable } from "../executors/sql-executor.js";
import {
  WORKFLOW_COLUMNS,
  toWorkflowRecord,
  workflowColumnsOf,
  type WorkflowRow,
} from "../rows.js";
import type { SchemaNames } from "../schema-names.js";

export type SuspensionStatements = ReturnType<typeof suspensionStatements>;

/** One suspension of a batch. */
export interface FencedSuspension {
  readonly workflowId: string;
  readonly wakeAt: number | undefined;
  readonly fence: Fence;
  readonly wakeOn: readonly WakeOn[];
}

/** What a suspension came to: written, not written because something arrived, or fenced. */
export type SuspensionResult = "suspended" | "arrived" | "fenced";

const IN_FORCE = "status = 'PENDING' and wake_epoch = owner_epoch";

/** The SQL text of the suspension statements for one schema. */
export function suspensionStatements({ workflows, messages, events }: SchemaNames) {
  return {
    // Locks the given rows, in ID order (so two batches cannot deadlock each other).
    lock: `
      select workflow_id from ${workflows} where workflow_id = any($1::text[])
      order by workflow_id collate "C" for no key update`,
    // Sets the suspensions of a batch (distinct IDs) under their fences, unless one of their
    // arrivals ($5: a JSON array of [kind, workflowId, topic-or-key] each) is there already;
    // $6: the keys (a JSON array each). One row per input: written, arrived, or neither (fenced).
    // The fence is compared with `is not distinct from` (both sides are never null) so that the
    // primary key is the only index the rows can be found by: with `=`, a planner without
    // statistics (a table just bulk-loaded, autovacuum behind or off) probed the recovery index
    // by executor, reading every PENDING workflow of the executor once per row of the batch.
    suspend: `
      with input as (
        select * from unnest($1::text[], $2::bigint[], $3::text[], $4::int[], $5::text[],
                             $6::text[])
          as s(workflow_id, wake_at, executor_id, epoch, wake_on, wake_keys)
      ),
      owned as (
        select s.* from input s join ${workflows} w on w.workflow_id = s.workflow_id
        where w.status = 'PENDING'
          and (w.executor_id, w.owner_epoch) is not distinct from (s.executor_id, s.epoch)
      ),
      arrived as (
        select distinct s.workflow_id from owned s, jsonb_array_elements(s.wake_on::jsonb) o
        where case o->>0
          when 'message' then exists (
            select 1 from ${messages} m
            where m.destination_id = o->>1 and m.topic = o->>2 and m.consumed_at is null)
          when 'event' then exists (
            select 1 from ${events} e where e.workflow_id = o->>1 and e.key = o->>2)
          -- A status it cannot see counts as arrived: only an existing row can be marked
          -- awaited, which its finish needs to look for waiters (migrations 0019, 0020).
          when 'status' then not exists (
            select 1 from ${workflows} f
            where f.workflow_id = o->>1
              and f.status not in ('SUCCESS', 'ERROR', 'CANCELLED', 'DEAD_LETTER'))
          else false end
      ),
      written as (
        update ${workflows} w set wake_at = s.wake_at, wake_epoch = w.owner_epoch,
          wake_keys = case when s.wake_keys = '[]' then null
                      else array(select jsonb_array_elements_text(s.wake_keys::jsonb)) end
        from owned s
        where w.workflow_id = s.workflow_id
          and s.workflow_id not in (select workflow_id from arrived)
        returning w.workflow_id
      )
      select s.workflow_id,
             case when s.workflow_id in (select workflow_id from written) then 'suspended'
                  when s.workflow_id in (select workflow_id from arrived) then 'arrived'
                  else 'fenced' end as result
      from input s`,
    // Ends the due suspensions of one executor, earliest first, and returns their rows and the
    // next due time among the rest (the claimed rows excluded: the statement sees its snapshot),
    // earliest first; one row with nulls when nothing was due.
    claimDue: `
      with due as (
        select workflow_id, wake_at from ${workflows}
        where executor_id = $1::text and ${IN_FORCE} and wake_at <= $2::bigint
        order by wake_at limit $3::bigint
        for update skip locked
      ),
      claimed as (
        update ${workflows} w set wake_at = null, wake_epoch = null, wake_keys = null
        from due where w.workflow_id = due.workflow_id
        returning ${workflowColumnsOf("w")}, due.wake_at as due_at
      )
      select claimed.*, (
        -- The first in due-time order, not min(): the suspended index is read from its start
        -- and stops past the claimed rows (min() with an anti join compared every suspended
        -- row with every claimed one: 7 s at 100,000 suspended).
        select n.wake_at from ${workflows} n
        where n.executor_id = $1::text and n.status = 'PENDING' and n.wake_epoch = n.owner_epoch
          and n.workflow_id not in (select workflow_id from due)
        order by n.wake_at limit 1
      ) as next_wake_at
      from (select 1) one left join claimed on true
      order by claimed.due_at, claimed.workflow_id collate "C"`,
    runnable: `
      select ${WORKFLOW_COLUMNS} from ${workflows}
      where executor_id = $1::text and status = 'PENDING' and wake_epoch is distinct from owner_epoch
        and ($3::bigint is null
             or (created_at, workflow_id collate "C") > ($3::bigint, $4::text collate "C"))
      order by created_at, workflow_id collate "C" limit $2::bigint`,
  };
}

/** Writes a batch of suspensions; per input, what it came to. */
export async function suspendWorkflows(
  db: SqlExecutor,
  q: SuspensionStatements,
  batch: readonly FencedSuspension[],
): Promise<SuspensionResult[]> {
  const params = [
    batch.map((s) => s.workflowId),
    batch.map((s) => s.wakeAt ?? null),
    batch.map((s) => s.fence.executorId),
    batch.map((s) => s.fence.epoch),
    batch.map((s) => JSON.stringify(s.wakeOn.map(arrivalOf))),
    batch.map((s) => JSON.stringify(s.wakeOn.map(wakeKeyOf))),
  ];
  const write = (tx: SqlQueryable) =>
    tx.query<{ workflow_id: string; result: SuspensionResult }>(q.suspend, params);
  const rows = batch.some((s) => s.wakeOn.length > 0)
    ? await db.transaction(async (tx) => {
        await tx.query(q.lock, [[...lockedBy(batch)]]);
        return write(tx);
      })
    : await write(db);
  const results = new Map(rows.map((r) => [r.workflow_id, r.result]));
  return batch.map((s) => results.get(s.workflowId) ?? "fenced");
}

/** An arrival as the suspend statement reads it: `[kind, workflowId, topic-or-key]`. */
function arrivalOf(on: WakeOn): string[] {
  switch (on.kind) {
    case "message":
      return [on.kind, on.workflowId, on.topic];
    case "event":
      return [on.kind, on.workflowId, on.key];
    case "status":
      return [on.kind, on.workflowId];
  }
}

/** The rows a batch locks: each suspending workflow, and each one whose event or end it awaits. */
function lockedBy(batch: readonly FencedSuspension[]): Set<string> {
  const ids = new Set<string>();
  for (const s of batch) {
    ids.add(s.workflowId);
    for (const on of s.wakeOn) ids.add(on.workflowId);
  }
  return ids;
}

type DueRow = (WorkflowRow | { [K in keyof WorkflowRow]: null }) & {
  next_wake_at: string | number | bigint | null;
};

export async function claimDueWorkflows(
  db: SqlQueryable,
  q: SuspensionStatements,
  claim: DueClaim,
): Promise<DueWorkflows> {
  const rows = await db.query<DueRow>(q.claimDue, [claim.executorId, claim.now, claim.limit]);
  const workflows = rows
    .filter((row): row is WorkflowRow & DueRow => row.workflow_id !== null)
    .map((row) => toWorkflowRecord(row));
  const next = rows[0]?.next_wake_at;
  return { workflows, nextWakeAt: next === null || next === undefined ? undefined : Number(next) };
}

export async function listRunnable(
  db: SqlQueryable,
  q: SuspensionStatements,
  executorId: string,
  limit: number,
  after: WorkflowCursor | undefined,
): Promise<WorkflowRecord[]> {
  const rows = await db.query<WorkflowRow>(q.runnable, [
    executorId,
    limit,
    after?.createdAt ?? null,
    after?.workflowId ?? null,
  ]);
  return rows.map((row) => toWorkflowRecord(row));
}
