/**
 * The statements on `workflows`, one function each. Statement texts are built once per schema by
 * `workflowStatements`; the functions bind values and map rows. Nothing here decides policy:
 * the store chooses when to call what.
 */
import type {
  CreateWorkflowResult,
  Fence,
  ListedWorkflow,
  NewWorkflow,
  WorkflowFilter,
  WorkflowOutcome,
  WorkflowRecord,
} from "@cairn/core";
import type { SqlQueryable } from "../executors/sql-executor.js";
import {
  WORKFLOW_COLUMNS,
  attributesColumn,
  toListedWorkflow,
  toWorkflowRecord,
  traceContextColumn,
  workflowColumnsOf,
  type ListedWorkflowRow,
  type WorkflowRow,
} from "../rows.js";
import type { SchemaNames } from "../schema-names.js";
import { fenceColumns } from "./fence.js";
import { listingStatement } from "./workflow-listing.js";
import { NOW_MS } from "./now-ms.js";
import { notifyFrom } from "./notify.js";

export type WorkflowStatements = ReturnType<typeof workflowStatements>;

/** The SQL text of every `workflows` statement for one schema. */
export function workflowStatements({ workflows, channel }: SchemaNames) {
  return {
    // Inserts a batch (distinct IDs), and returns per input either its new row or the row that
    // holds its ID: one statement either way. Sorted inserts take row locks in one order, so two
    // processes creating overlapping batches cannot deadlock. Notifies only where asked to.
    // $13 true: insert nothing if some ID is held by a workflow of another name (a bulk start
    // is all or none; the caller reads the conflict from the rows returned).
    // Rows already in `workflows` are looked up one by one (lateral, `limit 1`): a primary-key
    // probe per input, never a scan of the table (why: `steps.insert` in queries/steps.ts).
    // In `finish`, `w.workflow_id = any($1)` gives the update an index condition for the same
    // reason.
    create: `
      with input as (
        select * from unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[],
                             $6::bigint[], $8::text[], $9::text[], $10::text[], $11::text[],
                             $12::text[])
          as i(workflow_id, name, input, executor_id, parent_workflow_id, deadline_at,
               app_version, status, queue_name, trace_context, attributes)
      ),
      inserted as (
        insert into ${workflows} (workflow_id, name, status, input, executor_id,
                                  parent_workflow_id, deadline_at, app_version, queue_name,
                                  trace_context, created_at, updated_at, started_at, attributes)
        select workflow_id, name, coalesce(status, 'PENDING'), input, executor_id,
               parent_workflow_id, deadline_at, app_version, queue_name, trace_context,
               ${NOW_MS}, ${NOW_MS},
               case when coalesce(status, 'PENDING') = 'PENDING' then ${NOW_MS} end,
               attributes::jsonb
        from input
        where not ($13::boolean and exists (
          select 1 from input c cross join lateral (
            select 1 from ${workflows} w
            where w.workflow_id = c.workflow_id and w.name <> c.name limit 1
          ) held
        ))
        order by workflow_id
        on conflict (workflow_id) do nothing
        returning ${WORKFLOW_COLUMNS}
      ),
      notified as (
        ${notifyFrom(channel, "status", ["n.workflow_id", "n.status", "n.executor_id"], "inserted n where n.workflow_id = any($7::text[])")}
      )
      select true as created, ${WORKFLOW_COLUMNS} from inserted
      where (select count(*) from notified) >= 0
      union all
      select false as created, ${workflowColumnsOf("w")}
      from input i cross join lateral (
        select * from ${workflows} x where x.workflow_id = i.workflow_id limit 1
      ) w
      where i.workflow_id not in (select workflow_id from inserted)`,
    get: `select ${WORKFLOW_COLUMNS} from ${workflows} where workflow_id = $1`,
    // The table listWorkflows reads; `listingStatement` adds columns, where, order and paging.
    table: workflows,
    // Many outcomes in one statement; the caller never puts one workflow twice in a batch. An
    // outcome with a fence lands only while its executor still owns the workflow at that epoch
    // (the update re-checks the row it locks, so a takeover that committed first wins); one
    // whose fence no longer matches a PENDING workflow is reported `fenced` (from the snapshot:
    // a takeover racing this statement shows as `stale`, and the engine reads the row).
    // Each finish notifies `status`, so a result() waiter in another process wakes at once; one
    // statement carries a whole batch, so this is a few notifications per commit, not per call.
    finish: `
      with input as (
        select * from unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[],
                             $6::text[], $7::int[])
          as o(workflow_id, executor_id, status, output, error, fence_executor_id, fence_epoch)
      ),
      finished as (
        update ${workflows} w
        set status = o.status, output = o.output, error = o.error,
            executor_id = o.executor_id, updated_at = ${NOW_MS}, completed_at = ${NOW_MS}
        from input o
        where w.workflow_id = o.workflow_id and w.workflow_id = any($1::text[])
          and w.status = 'PENDING'
          and (o.fence_executor_id is null
               or (w.owner_epoch = o.fence_epoch and w.executor_id = o.fence_executor_id))
        returning w.workflow_id, w.status, w.executor_id
      ),
      notified as (${notifyFrom(channel, "status", ["workflow_id", "status", "executor_id"], "finished")})
      select o.workflow_id,
             case when f.workflow_id is not null then 'finished'
                  when o.fence_executor_id is not null and exists (
                    select 1 from ${workflows} w
                    where w.workflow_id = o.workflow_id and w.workflow_id = any($1::text[])
                      and w.status = 'PENDING'
                      and not (w.owner_epoch = o.fence_epoch
                               and w.executor_id = o.fence_executor_id)
                  ) then 'fenced'
                  else 'stale' end as outcome
      from input o left join finished f on f.workflow_id = o.workflow_id
      where (select count(*) from notified) >= 0`,
    setAppVersion: `
      update ${workflows} set app_version = $2, updated_at = ${NOW_MS}
      where workflow_id = any($1::text[]) and status = 'PENDING'
      returning workflow_id`,
  };
}

/**
 * Inserts PENDING workflows (no two with one ID) or reads the rows holding their IDs; with
 * `allOrNone`, inserts none if an ID is held by a workflow of another name. An entry is
 * `undefined` only in the rare race where a concurrent insert committed after this statement's
 * snapshot: call again for that one.
 */
export async function createWorkflows(
  db: SqlQueryable,
  q: WorkflowStatements,
  batch: readonly NewWorkflow[],
  allOrNone = false,
): Promise<(CreateWorkflowResult | undefined)[]> {
  const column = <T>(pick: (w: NewWorkflow) => T | undefined) => batch.map((w) => pick(w) ?? null);
  const rows = await db.query<WorkflowRow & { created: boolean }>(q.create, [
    column((w) => w.workflowId),
    column((w) => w.name),
    column((w) => w.input),
    column((w) => w.executorId),
    column((w) => w.parentWorkflowId),
    column((w) => w.deadlineAt),
    batch.filter((w) => w.notify === true).map((w) => w.workflowId), // notified when created
    column((w) => w.appVersion),
    column((w) => w.status),
    column((w) => w.queueName),
    batch.map((w) => traceContextColumn(w.traceContext)),
    batch.map((w) => attributesColumn(w.attributes)),
    allOrNone,
  ]);
  const byId = new Map(rows.map((row) => [row.workflow_id, row]));
  return batch.map((w) => {
    const row = byId.get(w.workflowId);
    return row && { created: row.created, workflow: toWorkflowRecord(row) };
  });
}

export async function getWorkflow(
  db: SqlQueryable,
  q: WorkflowStatements,
  workflowId: string,
): Promise<WorkflowRecord | undefined> {
  const [row] = await db.query<WorkflowRow>(q.get, [workflowId]);
  return row && toWorkflowRecord(row);
}

/** An outcome and, for a fenced write, the owner and epoch it was made under. */
export interface FencedOutcome {
  readonly outcome: WorkflowOutcome;
  readonly fence: Fence | undefined;
}

/** What became of one outcome: written, refused by its fence, or the workflow was not PENDING. */
export type FinishResult = "finished" | "fenced" | "stale";

/** Finishes every still-PENDING workflow of the batch; returns, per outcome, what it did. */
export async function finishWorkflows(
  db: SqlQueryable,
  q: WorkflowStatements,
  batch: readonly FencedOutcome[],
): Promise<FinishResult[]> {
  const column = <T>(pick: (o: FencedOutcome) => T | undefined) =>
    batch.map((o) => pick(o) ?? null);
  const rows = await db.query<{ workflow_id: string; outcome: FinishResult }>(q.finish, [
    column(({ outcome }) => outcome.workflowId),
    column(({ outcome }) => outcome.executorId),
    column(({ outcome }) => outcome.status),
    column(({ outcome }) => outcome.output),
    column(({ outcome }) => outcome.error),
    ...fenceColumns(batch.map((o) => o.fence)),
  ]);
  const results = new Map(rows.map((r) => [r.workflow_id, r.outcome]));
  return batch.map(({ outcome }) => results.get(outcome.workflowId) ?? "stale");
}

/** Moves the PENDING ones of `workflowIds` to `appVersion`; returns those, in input order. */
export async function setAppVersion(
  db: SqlQueryable,
  q: WorkflowStatements,
  workflowIds: readonly string[],
  appVersion: string,
): Promise<string[]> {
  const rows = await db.query<{ workflow_id: string }>(q.setAppVersion, [workflowIds, appVersion]);
  const moved = new Set(rows.map((r) => r.workflow_id));
  return workflowIds.filter((id) => moved.has(id));
}

/** Workflows matching `filter`, ordered by creation time then ID; one statement. */
export async function listWorkflows(
  db: SqlQueryable,
  q: WorkflowStatements,
  filter: WorkflowFilter,
): Promise<ListedWorkflow[]> {
  const { text, params } = listingStatement(q.table, filter);
  return (await db.query<ListedWorkflowRow>(text, params)).map(toListedWorkflow);
}
