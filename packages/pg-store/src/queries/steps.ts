/**
 * The statements on `steps`, one function each. `insertSteps` writes a whole batch of checkpoints
 * in one statement and learns from `returning` which ones landed, so first-write-wins needs no
 * read; a batch of one is the common, single-step case.
 */
import type { StepRecord } from "@cairn/core";
import type { SqlQueryable } from "../executors/sql-executor.js";
import { STEP_COLUMNS, toStepRecord, type StepRow } from "../rows.js";
import type { SchemaNames } from "../schema-names.js";

export type StepStatements = ReturnType<typeof stepStatements>;

/** The SQL text of every `steps` statement for one schema. */
export function stepStatements({ steps }: SchemaNames) {
  return {
    insert: `
      insert into ${steps} (${STEP_COLUMNS})
      select * from unnest($1::text[], $2::int[], $3::text[], $4::text[], $5::text[],
                           $6::text[], $7::int[], $8::bigint[], $9::bigint[])
      on conflict (workflow_id, position) do nothing
      returning workflow_id, position`,
    list: `select ${STEP_COLUMNS} from ${steps} where workflow_id = $1 order by position`,
  };
}

const stepKey = (workflowId: string, position: number): string => `${position}:${workflowId}`;

/** Inserts the batch (no two entries share a position); returns, per step, whether it landed. */
export async function insertSteps(
  db: SqlQueryable,
  q: StepStatements,
  steps: readonly StepRecord[],
): Promise<boolean[]> {
  const column = <T>(pick: (s: StepRecord) => T | undefined) => steps.map((s) => pick(s) ?? null);
  const rows = await db.query<{ workflow_id: string; position: number }>(q.insert, [
    column((s) => s.workflowId),
    column((s) => s.position),
    column((s) => s.name),
    column((s) => s.output),
    column((s) => s.error),
    column((s) => s.childWorkflowId),
    column((s) => s.attempts),
    column((s) => s.startedAt),
    column((s) => s.completedAt),
  ]);
  const landed = new Set(rows.map((r) => stepKey(r.workflow_id, r.position)));
  return steps.map((s) => landed.has(stepKey(s.workflowId, s.position)));
}

export async function listSteps(
  db: SqlQueryable,
  q: StepStatements,
  workflowId: string,
): Promise<StepRecord[]> {
  return (await db.query<StepRow>(q.list, [workflowId])).map(toStepRecord);
}

export { stepKey };
