/**
 * The one-row forms of `create` and `finish` (queries/workflows.ts), for a group-commit batch of
 * one: a workflow started or finished while no other write was queued, which is every start and
 * finish of workflows run one at a time.
 *
 * Why a second form: the batch statements unpack parameter arrays with `unnest`, and Postgres
 * would not settle on a generic plan for them. `pg_stat_statements` showed every one-row call
 * planned anew, 0.37–0.51 ms of planning against 0.13–0.28 ms of execution. These take scalar
 * parameters; their generic plan is as good as a custom one, so they are planned once per
 * connection. They answer exactly what the batch statements answer for one row.
 */
import type { CreateWorkflowResult, Fence, NewWorkflow, WorkflowOutcome } from "@cairn/core";
import type { SqlQueryable } from "../executors/sql-executor.js";
import {
  WORKFLOW_COLUMNS,
  attributesColumn,
  toWorkflowRecord,
  traceContextColumn,
  workflowColumnsOf,
  type WorkflowRow,
} from "../rows.js";
import type { SchemaNames } from "../schema-names.js";
import { fenceParams } from "./fence.js";
import { NOW_MS } from "./now-ms.js";
import { notifyFrom } from "./notify.js";
import type { FinishResult } from "./workflows.js";

export type OneRowStatements = ReturnType<typeof oneRowStatements>;

/** The SQL text of the one-row statements for one schema. */
export function oneRowStatements({ workflows, channel }: SchemaNames) {
  return {
    // The new row (created) or the row that holds the ID (not created). No row at all only when
    // a concurrent insert of the ID committed after this statement's snapshot: call again.
    // $7 true: notify the new row's status. $12 is JSON text: a parameter typed jsonb would be
    // encoded again by the driver.
    create: `
      with inserted as (
        insert into ${workflows} (workflow_id, name, status, input, executor_id,
                                  parent_workflow_id, deadline_at, app_version, queue_name,
                                  trace_context, created_at, updated_at, started_at, attributes)
        values ($1::text, $2::text, coalesce($9::text, 'PENDING'), $3::text, $4::text, $5::text,
                $6::bigint, $8::text, $10::text, $11::text, ${NOW_MS}, ${NOW_MS},
                case when coalesce($9::text, 'PENDING') = 'PENDING' then ${NOW_MS} end,
                $12::text::jsonb)
        on conflict (workflow_id) do nothing
        returning ${WORKFLOW_COLUMNS}
      ),
      notified as (
        ${notifyFrom(channel, "status", ["n.workflow_id", "n.status", "n.executor_id"], "inserted n where $7::boolean")}
      )
      select true as created, ${WORKFLOW_COLUMNS} from inserted
      where (select count(*) from notified) >= 0
      union all
      select false as created, ${workflowColumnsOf("w")} from ${workflows} w
      where w.workflow_id = $1::text and not exists (select 1 from inserted)`,
    // 'finished'; else 'fenced' when the fence ($6, $7) no longer matches a PENDING workflow;
    // else 'stale' (not PENDING any more, or a takeover racing this statement: the engine reads
    // the row). The status tests are collated "C" so that only the primary key can find the
    // row: with a plain =, custom plans on a table not analyzed yet read every PENDING workflow
    // of the executor through the recovery index, and the plan cache kept choosing them
    // (finish-plans.test.ts): 312-332 µs of execution per finish among 3,000 PENDING workflows
    // (111-134 with "C"), 34 ms among 200,000.
    finish: `
      with finished as (
        update ${workflows} w
        set status = $3::text, output = $4::text, error = $5::text,
            executor_id = $2::text, updated_at = ${NOW_MS}, completed_at = ${NOW_MS}
        where w.workflow_id = $1::text and w.status = 'PENDING' collate "C"
          and ($6::text is null or (w.owner_epoch = $7::int and w.executor_id = $6::text))
        returning w.workflow_id, w.status, w.executor_id
      ),
      notified as (${notifyFrom(channel, "status", ["workflow_id", "status", "executor_id"], "finished")})
      select case when exists (select 1 from finished) then 'finished'
                  when $6::text is not null and exists (
                    select 1 from ${workflows} w
                    where w.workflow_id = $1::text and w.status = 'PENDING' collate "C"
                      and not (w.owner_epoch = $7::int and w.executor_id = $6::text)
                  ) then 'fenced'
                  else 'stale' end as outcome
      where (select count(*) from notified) >= 0`,
  };
}

/** `createWorkflows` for one workflow; `undefined` in the same rare race. */
export async function createOneWorkflow(
  db: SqlQueryable,
  q: OneRowStatements,
  w: NewWorkflow,
): Promise<CreateWorkflowResult | undefined> {
  const [row] = await db.query<WorkflowRow & { created: boolean }>(q.create, [
    w.workflowId,
    w.name,
    w.input ?? null,
    w.executorId ?? null,
    w.parentWorkflowId ?? null,
    w.deadlineAt ?? null,
    w.notify === true,
    w.appVersion ?? null,
    w.status ?? null,
    w.queueName ?? null,
    traceContextColumn(w.traceContext),
    attributesColumn(w.attributes),
  ]);
  return row && { created: row.created, workflow: toWorkflowRecord(row) };
}

/** `finishWorkflows` for one outcome. */
export async function finishOneWorkflow(
  db: SqlQueryable,
  q: OneRowStatements,
  outcome: WorkflowOutcome,
  fence: Fence | undefined,
): Promise<FinishResult> {
  const [row] = await db.query<{ outcome: FinishResult }>(q.finish, [
    outcome.workflowId,
    outcome.executorId ?? null,
    outcome.status,
    outcome.output ?? null,
    outcome.error ?? null,
    ...fenceParams(fence),
  ]);
  return row?.outcome ?? "stale";
}
