/**
 * The statements on `workflows`, one function each. Statement texts are built once per schema by
 * `workflowStatements`; the functions bind values and map rows. Nothing here decides policy:
 * the store chooses when to call what.
 */
import {
  type CreateWorkflowResult,
  type Fence,
  type ListedWorkflow,
  type NewWorkflow,
  type WorkflowFilter,
  type WorkflowOutcome,
  type WorkflowRecord,
} from "@cairn/core";
import type { SqlQueryable } from "../executors/sql-executor.js";
import {
  WORKFLOW_COLUMNS,
  toListedWorkflow,
  toWorkflowRecord,
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
    // Inserts a batch (distinct IDs) given as one JSON array of `NewWorkflow`s ($1: one text
    // parameter, no per-column arrays), and returns only what the caller cannot know: a first row
    // (`for_id` null) with the statement's time, which every inserted row took as `created_at`,
    // then, per input not inserted, the row holding its ID (all columns null when a concurrent
    // insert committed after this statement's snapshot: the caller tries that one again).
    // Rows already in `workflows` are looked up one by one (lateral, `limit 1`): a primary-key
    // probe per input, never a scan of the table (why: `steps.insert` in queries/steps.ts).
    // Sorted inserts take row locks in one order, so two processes creating overlapping
    // batches cannot deadlock. $2 true: insert nothing if some ID is held by a workflow of
    // another name (a bulk start is all or none; the caller reads the conflict from the rows
    // returned). `create` skips an ID inserted concurrently (that entry
    // comes back empty); `createAll` fails on it instead (unique violation on `workflows_pkey`,
    // nothing written), so a statement that commits on its own never keeps part of a batch that
    // had to be refused: the caller runs the whole batch again.
    create: createStatement(workflows, channel, "on conflict (workflow_id) do nothing"),
    createAll: createStatement(workflows, channel, ""),
    get: `select ${WORKFLOW_COLUMNS} from ${workflows} where workflow_id = $1`,
    // The table listWorkflows reads; `listingStatement` adds columns, where, order and paging.
    table: workflows,
    // Many outcomes in one statement; the caller never puts one workflow twice in a batch. An
    // outcome with a fence lands only while its executor still owns the workflow at that epoch
    // (the update re-checks the row it locks, so a takeover that committed first wins); one
    // whose fence no longer matches a PENDING workflow is reported `fenced` (from the snapshot:
    // a takeover racing this statement shows as `stale`, and the engine reads the row).
    // The update joins its input plainly. Given `w.workflow_id = any($1)` as well (an index
    // condition, as `create` probes by primary key), Postgres chose another index and a batched
    // finish cost 117-167 µs of server CPU instead of 53-63 (per backend, /proc, 100 in flight).
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
        where w.workflow_id = o.workflow_id
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
                    where w.workflow_id = o.workflow_id
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

/** `NOW_MS` computed once per statement (an InitPlan), not per row and column. */
const NOW_ONCE = `(select ${NOW_MS})`;

/** As many nulls as `WORKFLOW_COLUMNS` has columns, under the same names. */
const NULL_WORKFLOW_COLUMNS = WORKFLOW_COLUMNS.split(", ")
  .map((column) => `null as ${column.split(" as ").at(-1) ?? column}`)
  .join(", ");

/**
 * The notifications of a statement's inserted rows, of those whose entry asked for one: one per
 * executor (and status), not one per row — a notification costs Postgres about as much as the
 * row it announces. It names the first of them and the statement's time, which every row it
 * inserted took as `created_at`: the executor reads that batch back in one statement
 * (`listCreatedBatch`); for workflows any engine may claim, an engine claims until none is left,
 * whichever ID it names. An engine that ignores the time picks the named workflow up and finds
 * the others by its poll.
 */
const notifiedRows = `(
  select min(n.workflow_id) as workflow_id, n.status, n.executor_id,
         ${NOW_ONCE}::text as created_at
  from inserted n join input i on i.workflow_id = n.workflow_id
  where i.notify
  group by n.status, n.executor_id) n`;

/** The statement behind `create` and `createAll`, which differ only in `onConflict`. */
function createStatement(workflows: string, channel: string, onConflict: string): string {
  return `
      with input as (
        select "workflowId" as workflow_id, name, input, "executorId" as executor_id,
               "parentWorkflowId" as parent_workflow_id, "deadlineAt" as deadline_at,
               "appVersion" as app_version, coalesce(status, 'PENDING') as status,
               "queueName" as queue_name, "traceContext"::text as trace_context, attributes,
               coalesce(notify, false) as notify
        from json_to_recordset($1::text::json) as i(
          "workflowId" text, name text, input text, "executorId" text, "parentWorkflowId" text,
          "deadlineAt" bigint, "appVersion" text, status text, "queueName" text,
          "traceContext" json, attributes jsonb, notify boolean)
      ),
      existing as (
        select x.* from input i cross join lateral (
          select ${WORKFLOW_COLUMNS} from ${workflows} w
          where w.workflow_id = i.workflow_id limit 1
        ) x
      ),
      inserted as (
        insert into ${workflows} (workflow_id, name, status, input, executor_id,
                                  parent_workflow_id, deadline_at, app_version, queue_name,
                                  trace_context, created_at, updated_at, started_at, attributes)
        select workflow_id, name, status, input, executor_id, parent_workflow_id, deadline_at,
               app_version, queue_name, trace_context, ${NOW_ONCE}, ${NOW_ONCE},
               case when status = 'PENDING' then ${NOW_ONCE} end, attributes
        from input i
        where i.workflow_id not in (select workflow_id from existing)
          and not ($2::boolean and exists (
            select 1 from existing e join input c on c.workflow_id = e.workflow_id
            where e.name <> c.name
          ))
        order by workflow_id
        ${onConflict}
        returning workflow_id, status, executor_id
      ),
      notified as (
        ${notifyFrom(channel, "status", ["n.workflow_id", "n.status", "n.executor_id", "n.created_at"], notifiedRows)}
      )
      select null::text as for_id, ${NOW_ONCE} as now_ms, ${NULL_WORKFLOW_COLUMNS}
      where (select count(*) from notified) >= 0
      union all
      select i.workflow_id, null, ${workflowColumnsOf("e")}
      from input i left join existing e on e.workflow_id = i.workflow_id
      where i.workflow_id not in (select workflow_id from inserted)`;
}

/** A row of `create`: the statement's time (first row), or an entry that was not inserted. */
type CreateRow = { for_id: string | null; now_ms: string | number | bigint | null } & {
  [K in keyof WorkflowRow]: WorkflowRow[K] | null;
};

/**
 * Inserts PENDING workflows (no two with one ID) or reads the rows holding their IDs; with
 * `allOrNone`, inserts none if an ID is held by a workflow of another name. An entry is
 * `undefined` only in the rare race where a concurrent insert committed after this statement's
 * snapshot: call again for that one — unless `failOnRace`, where that race fails the statement
 * instead (a unique violation, see {@link isCreateRace}) and nothing is written.
 */
export async function createWorkflows(
  db: SqlQueryable,
  q: WorkflowStatements,
  batch: readonly NewWorkflow[],
  allOrNone = false,
  failOnRace = false,
): Promise<(CreateWorkflowResult | undefined)[]> {
  const rows = await db.query<CreateRow>(failOnRace ? q.createAll : q.create, [
    JSON.stringify(batch),
    allOrNone,
  ]);
  let now = Number.NaN;
  const others = new Map<string, CreateRow>();
  for (const row of rows) {
    if (row.for_id === null) now = Number(row.now_ms);
    else others.set(row.for_id, row);
  }
  return batch.map((w) => {
    const row = others.get(w.workflowId);
    if (row === undefined) return { created: true, workflow: createdRecord(w, now) };
    return row.workflow_id === null
      ? undefined
      : { created: false, workflow: toWorkflowRecord(row as WorkflowRow) };
  });
}

/** True for the error `createAll` fails with when an ID was inserted concurrently. */
export function isCreateRace(error: unknown): boolean {
  const { code, constraint_name: constraint } = (error ?? {}) as {
    code?: unknown;
    constraint_name?: unknown;
  };
  return code === "23505" && (constraint === undefined || constraint === "workflows_pkey");
}

/** The record of a workflow just inserted from `w` at `at`, as the row reads back. */
function createdRecord(w: NewWorkflow, at: number): WorkflowRecord {
  const status = w.status ?? "PENDING";
  return {
    workflowId: w.workflowId,
    name: w.name,
    status,
    input: w.input,
    output: undefined,
    error: undefined,
    executorId: w.executorId,
    parentWorkflowId: w.parentWorkflowId,
    recoveryAttempts: 0,
    deadlineAt: w.deadlineAt,
    forkedFrom: undefined,
    queueName: w.queueName,
    appVersion: w.appVersion,
    ownerEpoch: 0,
    createdAt: at,
    updatedAt: at,
    traceContext: w.traceContext,
    startedAt: status === "PENDING" ? at : undefined,
    completedAt: undefined,
    priority: undefined,
    dedupId: undefined,
    partitionKey: undefined,
    attributes: w.attributes,
  };
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
