/**
 * Retention: deleting workflows that finished long ago, with everything recorded for them
 * (checkpoints, messages sent to them, events and their history, streams), a bounded batch per statement so a
 * large backlog never holds locks for long; and deleting chosen finished workflows (with their
 * finished descendants) on request. Messages they sent to others stay with the receiver. Queue
 * items go with their workflow (migration 0017's delete trigger, for every deleter).
 */
import type { SqlQueryable } from "../executors/sql-executor.js";
import type { SchemaNames } from "../schema-names.js";

export type RetentionStatements = ReturnType<typeof retentionStatements>;

/** The SQL text of the retention statement for one schema. */
export function retentionStatements({
  workflows,
  steps,
  messages,
  events,
  eventHistory,
  streams,
}: SchemaNames) {
  // The rows that belong to the workflows of a `doomed` CTE, deleted in the same statement.
  const ownedRowsOfDoomed = `
      steps_deleted as (
        delete from ${steps} s using doomed d where s.workflow_id = d.workflow_id
      ),
      messages_deleted as (
        delete from ${messages} m using doomed d where m.destination_id = d.workflow_id
      ),
      events_deleted as (
        delete from ${events} e using doomed d where e.workflow_id = d.workflow_id
      ),
      event_history_deleted as (
        delete from ${eventHistory} e using doomed d where e.workflow_id = d.workflow_id
      ),
      streams_deleted as (
        delete from ${streams} s using doomed d where s.workflow_id = d.workflow_id
      )`;
  return {
    // One statement, so one transaction: a workflow goes with all its rows or not at all.
    // SKIP LOCKED leaves a row another call (a resume, a second retention run) holds.
    deleteFinished: `
      with doomed as (
        select workflow_id from ${workflows}
        where status in ('SUCCESS', 'ERROR', 'CANCELLED') and updated_at < $1::bigint
        order by updated_at
        limit $2::bigint
        for update skip locked
      ),
      ${ownedRowsOfDoomed},
      deleted as (
        delete from ${workflows} w using doomed d where w.workflow_id = d.workflow_id
        returning 1
      )
      select count(*)::int as deleted from deleted`,
    // $1 IDs, $2 with descendants. Only finished ones; a row another call holds is left.
    deleteWorkflows: `
      with recursive tree as (
        select unnest($1::text[]) as workflow_id
        union
        select w.workflow_id from ${workflows} w
        join tree t on w.parent_workflow_id = t.workflow_id
        where $2::boolean
      ),
      doomed as (
        select w.workflow_id from ${workflows} w join tree t on t.workflow_id = w.workflow_id
        where w.status in ('SUCCESS', 'ERROR', 'CANCELLED', 'DEAD_LETTER')
        for update of w skip locked
      ),
      ${ownedRowsOfDoomed},
      deleted as (
        delete from ${workflows} w using doomed d where w.workflow_id = d.workflow_id
        returning w.workflow_id
      )
      select workflow_id from deleted`,
  };
}

/** Deletes up to `limit` workflows finished before `finishedBefore`; returns how many. */
export async function deleteFinished(
  db: SqlQueryable,
  q: RetentionStatements,
  finishedBefore: number,
  limit: number,
): Promise<number> {
  if (!(limit > 0)) return 0;
  const [row] = await db.query<{ deleted: number }>(q.deleteFinished, [
    Math.floor(
      Math.max(-Number.MAX_SAFE_INTEGER, Math.min(Number.MAX_SAFE_INTEGER, finishedBefore)),
    ),
    Number.isFinite(limit) ? Math.floor(limit) : null, // null: no limit
  ]);
  return row?.deleted ?? 0;
}

/** Deletes the finished ones of `workflowIds` (and with `children` their finished descendants). */
export async function deleteWorkflows(
  db: SqlQueryable,
  q: RetentionStatements,
  workflowIds: readonly string[],
  children: boolean,
): Promise<string[]> {
  if (workflowIds.length === 0) return [];
  const rows = await db.query<{ workflow_id: string }>(q.deleteWorkflows, [workflowIds, children]);
  return rows.map((r) => r.workflow_id);
}
