/**
 * The read that hands an engine a batch of workflows one statement created for it (a bulk start,
 * announced by one notification carrying the statement's time): the PENDING, not suspended rows
 * of one executor created at one time, each with its history, in one statement — instead of a
 * read of each workflow and then of its steps. It decides nothing: the engine skips what already
 * runs here and fences every write with the epoch it read.
 */
import type { StepRecord, WorkflowRecord } from "@cairn/core";
import type { SqlQueryable } from "../executors/sql-executor.js";
import { WORKFLOW_COLUMNS, toStepRecord, toWorkflowRecord, type WorkflowRow } from "../rows.js";
import type { SchemaNames } from "../schema-names.js";

export type CreatedBatchStatements = ReturnType<typeof createdBatchStatements>;

/** The statement text for one schema. */
export function createdBatchStatements({ workflows, steps }: SchemaNames) {
  return {
    // The predicate is workflows_runnable_idx's (executor_id, created_at), so a million parked
    // rows of the executor are never read. A history is a JSON array of step rows: [] for a new
    // workflow, one primary-key probe of `steps`.
    list: `
      select ${WORKFLOW_COLUMNS},
             (select coalesce(json_agg(json_build_array(s.position, s.name, s.output, s.error,
                                                        s.child_workflow_id, s.attempts,
                                                        s.started_at, s.completed_at)
                                       order by s.position), '[]')::text
              from ${steps} s where s.workflow_id = w.workflow_id) as history
      from ${workflows} w
      where executor_id = $1::text and status = 'PENDING' and wake_epoch is distinct from owner_epoch
        and created_at = $2::bigint
        and ($3::text is null or workflow_id collate "C" > $3::text collate "C")
      order by workflow_id collate "C" limit $4::bigint`,
  };
}

type HistoryEntry = [
  number,
  string,
  string | null,
  string | null,
  string | null,
  number,
  number,
  number,
];

/** See `SuspensionStore.listCreatedBatch`. */
export async function listCreatedBatch(
  db: SqlQueryable,
  q: CreatedBatchStatements,
  executorId: string,
  createdAt: number,
  limit: number,
  afterId: string | undefined,
): Promise<{ record: WorkflowRecord; history: StepRecord[] }[]> {
  const rows = await db.query<WorkflowRow & { history: string }>(q.list, [
    executorId,
    createdAt,
    afterId ?? null,
    limit,
  ]);
  return rows.map((row) => ({
    record: toWorkflowRecord(row),
    history: (JSON.parse(row.history) as HistoryEntry[]).map((s) =>
      toStepRecord({
        workflow_id: row.workflow_id,
        position: s[0],
        name: s[1],
        output: s[2],
        error: s[3],
        child_workflow_id: s[4],
        attempts: s[5],
        started_at: s[6],
        completed_at: s[7],
      }),
    ),
  }));
}
