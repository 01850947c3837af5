/**
 * How a bulk start reaches the database (`createWorkflows`): up to 1,000 workflows per
 * statement, all written or none — more than one statement go in one transaction (the caller's
 * when given) — and each entry answered as if the entries had been created one after another.
 * Entries repeating an earlier entry's ID share its statement's answer and are not sent again;
 * an ID held by a workflow of another name makes the statement insert nothing, and the call
 * throws `WorkflowConflictError`. A row hidden by a concurrent commit is read by trying that
 * entry again, never guessed.
 */
import { WorkflowConflictError, type CreateWorkflowResult, type NewWorkflow } from "@cairn/core";
import type { SqlExecutor, SqlQueryable } from "./executors/sql-executor.js";
import { createWorkflows, type WorkflowStatements } from "./queries/workflows.js";
import { untilSeen } from "./store-calls.js";

/** Workflows per statement: keeps parameters and statement size bounded. */
export const MAX_CREATE_BATCH = 1000;

/** Creates `workflows` all or none, in the caller's transaction `into` when given. */
export async function createMany(
  db: SqlExecutor,
  q: WorkflowStatements,
  workflows: readonly NewWorkflow[],
  into?: SqlQueryable,
): Promise<CreateWorkflowResult[]> {
  if (workflows.length === 0) return [];
  const firsts = firstOfEachId(workflows);
  if (into) return writeAll(into, q, workflows, firsts);
  return firsts.length <= MAX_CREATE_BATCH
    ? writeAll(db, q, workflows, firsts)
    : db.transaction((tx) => writeAll(tx, q, workflows, firsts));
}

/**
 * The index of each ID's first entry, in order.
 * @throws WorkflowConflictError when a later entry gives an ID another name (nothing written).
 */
function firstOfEachId(workflows: readonly NewWorkflow[]): number[] {
  const names = new Map<string, string>();
  const firsts: number[] = [];
  for (const [index, { workflowId, name }] of workflows.entries()) {
    const held = names.get(workflowId);
    if (held === undefined) {
      names.set(workflowId, name);
      firsts.push(index);
    } else if (held !== name) {
      throw new WorkflowConflictError(workflowId, held, name);
    }
  }
  return firsts;
}

async function writeAll(
  into: SqlQueryable,
  q: WorkflowStatements,
  workflows: readonly NewWorkflow[],
  firsts: readonly number[],
): Promise<CreateWorkflowResult[]> {
  const byId = new Map<string, CreateWorkflowResult>();
  for (let start = 0; start < firsts.length; start += MAX_CREATE_BATCH) {
    const batch = firsts
      .slice(start, start + MAX_CREATE_BATCH)
      .map((index) => workflows[index] as NewWorkflow);
    const results = await createWorkflows(into, q, batch, true);
    // A conflict made the statement insert nothing: refuse before trying any entry again.
    for (const [k, workflow] of batch.entries()) {
      const result = results[k];
      if (result) refuseConflict(workflow, result);
    }
    for (const [k, workflow] of batch.entries()) {
      const result =
        results[k] ??
        (await untilSeen(`createWorkflows(${workflow.workflowId})`, async () => {
          const [again] = await createWorkflows(into, q, [workflow], true);
          return again;
        }));
      refuseConflict(workflow, result);
      byId.set(workflow.workflowId, result);
    }
  }
  const first = new Set(firsts);
  return workflows.map((workflow, index) => {
    const result = byId.get(workflow.workflowId) as CreateWorkflowResult;
    return first.has(index) ? result : { created: false, workflow: result.workflow };
  });
}

/** Throws when the entry's ID is held by a workflow of another name (its statement wrote nothing). */
function refuseConflict(workflow: NewWorkflow, result: CreateWorkflowResult): void {
  if (!result.created && result.workflow.name !== workflow.name) {
    throw new WorkflowConflictError(workflow.workflowId, result.workflow.name, workflow.name);
  }
}
