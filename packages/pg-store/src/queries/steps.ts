/**
 * The statements on `steps`, one function each. `insertSteps` writes a whole batch of checkpoints
 * in one statement and learns from `returning` which ones landed, so first-write-wins needs no
 * separate read. Each row may carry a fence (owner and epoch): the same statement skips rows
 * whose workflow changed owner and says so.
 *
 * A batch of one (a workflow run alone, the sequential case) goes out as a plain one-row insert
 * instead. The batch statement unpacks eleven arrays and joins its outcome back to its input: on
 * Postgres 15 that cost about 200 µs of server CPU per call, against about 90 µs for the one-row
 * insert, which is as cheap as a bare one-row insert into a one-column table (measured per backend
 * from /proc, docs/benchmarks.md "The step write"). The one-row insert tells "inserted" apart from
 * "not inserted" by its `returning`; only in the rare second case does a read say whether the
 * fence or an existing checkpoint stopped it.
 */
import type { Fence, StepRecord } from "@cairn/core";
import type { SqlQueryable } from "../executors/sql-executor.js";
import { STEP_COLUMNS, stepValues, toStepRecord, type StepRow } from "../rows.js";
import type { SchemaNames } from "../schema-names.js";
import { fenceColumns } from "./fence.js";

export type StepStatements = ReturnType<typeof stepStatements>;

/** One array parameter per column of `STEP_COLUMNS`. */
const STEP_FIELDS = STEP_COLUMNS.split(",");

/** What became of one checkpoint of a batch. */
export type StepOutcome = "inserted" | "conflict" | "fenced";

/** A checkpoint and, for a fenced write, the owner and epoch it was made under. */
export interface FencedStep {
  readonly step: StepRecord;
  readonly fence: Fence | undefined;
}

/** The SQL text of every `steps` statement for one schema. */
export function stepStatements({ workflows, steps }: SchemaNames) {
  return {
    // One row per input, in input order: fenced (its workflow has another owner or epoch now,
    // so it was not inserted), else inserted or a position conflict (first write wins).
    // No row lock on the workflow: fenced rows are checked against this statement's snapshot,
    // so a write racing a takeover may still land just after it commits; it can never overwrite
    // the new owner's checkpoints (first write wins), and locking would add a WAL write to every
    // checkpoint (why `steps` has no foreign key, 0001).
    // The owner check is a lateral lookup (`limit 1` keeps it one): a primary-key probe per row,
    // whatever the planner thinks of the table. Written as `not exists`, it was planned as a hash
    // anti-join over a scan of all of `workflows` (the default random_page_cost prices 50 index
    // probes above scanning 10,000 rows, and a plan cached while the table was small keeps
    // scanning as it grows): found with auto_explain, a batch of 98 took 4.6 ms at 9,000
    // workflows.
    insert: `
      with input as (
        select * from unnest($1::text[], $2::int[], $3::text[], $4::text[], $5::text[],
                             $6::text[], $7::int[], $8::bigint[], $9::bigint[], $10::text[],
                             $11::int[])
          with ordinality
          as i(workflow_id, position, name, output, error, child_workflow_id, attempts,
               started_at, completed_at, fence_executor_id, fence_epoch, n)
      ),
      fenced as (
        select i.n from input i
        left join lateral (
          select true as ok from ${workflows} w
          where w.workflow_id = i.workflow_id and w.executor_id = i.fence_executor_id
            and w.owner_epoch = i.fence_epoch
          limit 1
        ) owner on true
        where i.fence_executor_id is not null and owner.ok is null
      ),
      inserted as (
        insert into ${steps} (${STEP_COLUMNS})
        select ${STEP_COLUMNS} from input
        where n not in (select n from fenced)
        on conflict (workflow_id, position) do nothing
        returning workflow_id, position
      )
      select case when f.n is not null then 'fenced'
                  when x.workflow_id is not null then 'inserted'
                  else 'conflict' end as outcome
      from input i
      left join fenced f on f.n = i.n
      left join inserted x on x.workflow_id = i.workflow_id and x.position = i.position
      order by i.n`,
    // The batch of one: the row, and the fence as $10 (executor, null for none) and $11 (epoch).
    insertOne: `
      insert into ${steps} (${STEP_COLUMNS})
      select $1::text, $2::int, $3::text, $4::text, $5::text, $6::text, $7::int, $8::bigint,
             $9::bigint
      where $10::text is null or exists (
        select 1 from ${workflows} w
        where w.workflow_id = $1::text and w.executor_id = $10::text and w.owner_epoch = $11::int
      )
      on conflict (workflow_id, position) do nothing
      returning 1 as inserted`,
    // Why a one-row insert wrote nothing: true when the workflow is still owned under the fence.
    stillOwned: `
      select exists (
        select 1 from ${workflows} w
        where w.workflow_id = $1::text and w.executor_id = $2::text and w.owner_epoch = $3::int
      ) as owned`,
    list: `select ${STEP_COLUMNS} from ${steps} where workflow_id = $1 order by position`,
    // Many histories in one statement: a primary-key range read per workflow.
    listOf: `
      select ${STEP_COLUMNS} from ${steps} where workflow_id = any($1::text[])
      order by workflow_id, position`,
  };
}

const stepKey = (workflowId: string, position: number): string => `${position}:${workflowId}`;

/** Inserts the batch (no two entries share a position); returns, per entry, what became of it. */
export async function insertSteps(
  db: SqlQueryable,
  q: StepStatements,
  batch: readonly FencedStep[],
): Promise<StepOutcome[]> {
  if (batch.length === 1) return [await insertOneStep(db, q, batch[0] as FencedStep)];
  const rows = batch.map(({ step }) => stepValues(step));
  const columns = STEP_FIELDS.map((_, i) => rows.map((row) => row[i]));
  const results = await db.query<{ outcome: StepOutcome }>(q.insert, [
    ...columns,
    ...fenceColumns(batch.map(({ fence }) => fence)),
  ]);
  if (results.length !== batch.length) throw new Error("insertSteps: one outcome per row expected");
  return results.map((r) => r.outcome);
}

/**
 * One checkpoint in a one-row statement. When it wrote nothing and carried a fence, a read of the
 * workflow's owner tells why. The read sees a later snapshot than the insert did, but an owner
 * and epoch once replaced never come back, so "not owned" cannot turn into "owned"; a takeover
 * committed between the two turns a position conflict into "fenced", which is true by then.
 */
async function insertOneStep(
  db: SqlQueryable,
  q: StepStatements,
  { step, fence }: FencedStep,
): Promise<StepOutcome> {
  const params = stepValues(step);
  params.push(fence?.executorId ?? null, fence?.epoch ?? null); // $10, $11: see `insertOne`
  const inserted = await db.query<{ inserted: number }>(q.insertOne, params);
  if (inserted.length > 0) return "inserted";
  if (!fence) return "conflict";
  const [row] = await db.query<{ owned: boolean }>(q.stillOwned, [
    step.workflowId,
    fence.executorId,
    fence.epoch,
  ]);
  return row?.owned ? "conflict" : "fenced";
}

export async function listSteps(
  db: SqlQueryable,
  q: StepStatements,
  workflowId: string,
): Promise<StepRecord[]> {
  return (await db.query<StepRow>(q.list, [workflowId])).map(toStepRecord);
}

/** See `RunningStore.listStepsOf`: one statement for all of `workflowIds`. */
export async function listStepsOf(
  db: SqlQueryable,
  q: StepStatements,
  workflowIds: readonly string[],
): Promise<Map<string, StepRecord[]>> {
  const byId = new Map<string, StepRecord[]>(workflowIds.map((id) => [id, []]));
  if (byId.size === 0) return byId;
  const rows = await db.query<StepRow>(q.listOf, [[...byId.keys()]]);
  for (const row of rows) byId.get(row.workflow_id)?.push(toStepRecord(row));
  return byId;
}

export { stepKey };
