/**
 * The statements on `step_attempts`: a step's failed attempt that will be retried, upserted
 * under the workflow's fence (last write wins, so the check locks the workflow row, as events
 * do), and read when a run resumes the workflow.
 */
import type { Fence, StepAttempt } from "@cairn/core";
import type { SqlQueryable } from "../executors/sql-executor.js";
import type { SchemaNames } from "../schema-names.js";
import { fenceParams, ownedCte } from "./fence.js";

export type StepAttemptStatements = ReturnType<typeof stepAttemptStatements>;

/** The SQL text of every `step_attempts` statement for one schema. */
export function stepAttemptStatements({ workflows, quoted }: SchemaNames) {
  const table = `${quoted}.step_attempts`;
  return {
    record: `
      with ${ownedCte(workflows, "$1", "$6", "$7", { lock: true })},
      written as (
        insert into ${table} (workflow_id, position, name, attempts, next_attempt_at)
        select $1::text, $2::int, $3::text, $4::int, $5::bigint
        where (select ok from owned)
        on conflict (workflow_id, position) do update
          set name = excluded.name, attempts = excluded.attempts,
              next_attempt_at = excluded.next_attempt_at
      )
      select (select ok from owned) as owned`,
    list: `
      select workflow_id, position, name, attempts, next_attempt_at from ${table}
      where workflow_id = $1 order by position`,
  };
}

/** Records the attempt; `false` when the fence no longer matches (nothing written). */
export async function recordStepAttempt(
  db: SqlQueryable,
  q: StepAttemptStatements,
  attempt: StepAttempt,
  fence: Fence | undefined,
): Promise<boolean> {
  const [row] = await db.query<{ owned: boolean }>(q.record, [
    attempt.workflowId,
    attempt.position,
    attempt.name,
    attempt.attempts,
    attempt.nextAttemptAt,
    ...fenceParams(fence),
  ]);
  return row?.owned === true;
}

interface StepAttemptRow {
  workflow_id: string;
  position: number;
  name: string;
  attempts: number;
  next_attempt_at: string | number | bigint;
}

export async function listStepAttempts(
  db: SqlQueryable,
  q: StepAttemptStatements,
  workflowId: string,
): Promise<StepAttempt[]> {
  const rows = await db.query<StepAttemptRow>(q.list, [workflowId]);
  return rows.map((row) => ({
    workflowId: row.workflow_id,
    position: row.position,
    name: row.name,
    attempts: row.attempts,
    nextAttemptAt: Number(row.next_attempt_at),
  }));
}
