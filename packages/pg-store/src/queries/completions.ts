/**
 * The statements on `transaction_completions`, the small table a `transaction()` writes in the
 * application's own database when that is not the store's: one row per committed transaction,
 * in the same commit as the user's writes, so a replay finds the result there even when the
 * process died before the store's checkpoint was written. The table is created by
 * `migrateCompletions`; nothing here deletes rows.
 */
import type { StepRecord } from "@cairn/core";
import type { SqlQueryable } from "../executors/sql-executor.js";
import { SchemaNameInvalidError } from "../errors.js";

type Int8 = string | number | bigint;

export type CompletionStatements = ReturnType<typeof completionStatements>;

interface CompletionRow {
  name: string | null;
  output: string | null;
  attempts: number | null;
  started_at: Int8 | null;
  completed_at: Int8 | null;
}

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/;

/** The SQL text of the completion statements for `schema` (validated here). */
export function completionStatements(schema: string) {
  if (!IDENTIFIER.test(schema)) throw new SchemaNameInvalidError(schema);
  const table = `"${schema}".transaction_completions`;
  return {
    migrate: `
      create schema if not exists "${schema}";
      create table if not exists ${table} (
        workflow_id  text not null,
        position     int not null check (position >= 0),
        name         text not null,
        output       text,
        attempts     int not null,
        started_at   bigint not null,
        completed_at bigint not null,
        primary key (workflow_id, position)
      );`,
    // Always one row, so the timeout is set whether or not a completion exists.
    open: `
      select c.name, c.output, c.attempts, c.started_at, c.completed_at,
             set_config('idle_in_transaction_session_timeout', $3::text, true) as timeout
      from (select 1) one
      left join ${table} c on c.workflow_id = $1::text and c.position = $2::int`,
    insert: `
      insert into ${table} (workflow_id, position, name, output, attempts, started_at, completed_at)
      values ($1, $2, $3, $4, $5, $6, $7)
      on conflict (workflow_id, position) do nothing
      returning position`,
    get: `
      select name, output, attempts, started_at, completed_at from ${table}
      where workflow_id = $1 and position = $2`,
  };
}

function toRecord(workflowId: string, position: number, row: CompletionRow): StepRecord {
  return {
    workflowId,
    position,
    name: row.name ?? "",
    output: row.output ?? undefined,
    error: undefined,
    childWorkflowId: undefined,
    attempts: row.attempts ?? 1,
    startedAt: Number(row.started_at),
    completedAt: Number(row.completed_at),
  };
}

/** Bounds the transaction's idle time and returns the completion at the position, if any. */
export async function openCompletion(
  tx: SqlQueryable,
  q: CompletionStatements,
  at: { workflowId: string; position: number; idleTimeoutMs: number },
): Promise<StepRecord | undefined> {
  const [row] = await tx.query<CompletionRow>(q.open, [
    at.workflowId,
    at.position,
    String(at.idleTimeoutMs),
  ]);
  return row?.name ? toRecord(at.workflowId, at.position, row) : undefined;
}

/** Inserts the completion; false when the position was already taken (nothing written). */
export async function insertCompletion(
  tx: SqlQueryable,
  q: CompletionStatements,
  step: StepRecord,
): Promise<boolean> {
  const rows = await tx.query(q.insert, [
    step.workflowId,
    step.position,
    step.name,
    step.output ?? null,
    step.attempts,
    step.startedAt,
    step.completedAt,
  ]);
  return rows.length === 1;
}

/** The completion at `position`, if any. */
export async function getCompletion(
  db: SqlQueryable,
  q: CompletionStatements,
  workflowId: string,
  position: number,
): Promise<StepRecord | undefined> {
  const [row] = await db.query<CompletionRow>(q.get, [workflowId, position]);
  return row ? toRecord(workflowId, position, row) : undefined;
}
