/**
 * The statements of suspension (decision 0014): a batch of suspensions written under their
 * fences, the claim of due suspensions with the next due time, and the poll's list of runnable
 * workflows. A suspension is in force while `status = 'PENDING' and wake_epoch = owner_epoch`;
 * the partial indexes of migration 0011 use exactly these predicates.
 */
import type { DueClaim, DueWorkflows, Fence, WorkflowRecord } from "@cairn/core";
import type { SqlQueryable } from "../executors/sql-executor.js";
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
  readonly wakeAt: number;
  readonly fence: Fence;
}

const IN_FORCE = "status = 'PENDING' and wake_epoch = owner_epoch";

/** The SQL text of the suspension statements for one schema. */
export function suspensionStatements({ workflows }: SchemaNames) {
  return {
    // Sets the suspensions of a batch (distinct IDs) under their fences; returns the IDs written.
    suspend: `
      update ${workflows} w set wake_at = s.wake_at, wake_epoch = w.owner_epoch
      from unnest($1::text[], $2::bigint[], $3::text[], $4::int[])
        as s(workflow_id, wake_at, executor_id, epoch)
      where w.workflow_id = s.workflow_id and w.status = 'PENDING'
        and w.executor_id = s.executor_id and w.owner_epoch = s.epoch
      returning w.workflow_id`,
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
        update ${workflows} w set wake_at = null, wake_epoch = null
        from due where w.workflow_id = due.workflow_id
        returning ${workflowColumnsOf("w")}, due.wake_at as due_at
      )
      select claimed.*, (
        select min(wake_at) from ${workflows} n
        where n.executor_id = $1::text and n.status = 'PENDING' and n.wake_epoch = n.owner_epoch
          and not exists (select 1 from due where due.workflow_id = n.workflow_id)
      ) as next_wake_at
      from (select 1) one left join claimed on true
      order by claimed.due_at, claimed.workflow_id collate "C"`,
    runnable: `
      select ${WORKFLOW_COLUMNS} from ${workflows}
      where executor_id = $1::text and status = 'PENDING' and wake_epoch is distinct from owner_epoch
      order by created_at, workflow_id collate "C" limit $2::bigint`,
  };
}

/** Writes a batch of suspensions; per input, whether its fence held (false: not written). */
export async function suspendWorkflows(
  db: SqlQueryable,
  q: SuspensionStatements,
  batch: readonly FencedSuspension[],
): Promise<boolean[]> {
  const rows = await db.query<{ workflow_id: string }>(q.suspend, [
    batch.map((s) => s.workflowId),
    batch.map((s) => s.wakeAt),
    batch.map((s) => s.fence.executorId),
    batch.map((s) => s.fence.epoch),
  ]);
  const written = new Set(rows.map((r) => r.workflow_id));
  return batch.map((s) => written.has(s.workflowId));
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
): Promise<WorkflowRecord[]> {
  const rows = await db.query<WorkflowRow>(q.runnable, [executorId, limit]);
  return rows.map((row) => toWorkflowRecord(row));
}
