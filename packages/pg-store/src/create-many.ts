/**
 * How a bulk start reaches the database (`createWorkflows`): up to 1,000 workflows per
 * statement, all written or none — more than one statement go in one transaction (the caller's
 * when given), sent together so that Postgres writes one while this process encodes the next —
 * and each entry answered as if the entries had been created one after another. Entries
 * repeating an earlier entry's ID share its statement's answer and are not sent again; an ID held
 * by a workflow of another name makes the statement insert nothing, and the call throws
 * `WorkflowConflictError` naming that ID. An ID inserted by a concurrent commit after the
 * statement's snapshot fails that statement (nothing of the batch is written) and the whole
 * batch is tried again, where it sees that row; inside the caller's transaction, where a failed
 * statement would abort it, that entry alone is tried again.
 */
import { WorkflowConflictError, type CreateWorkflowResult, type NewWorkflow } from "@cairn/core";
import type { SqlExecutor, SqlQueryable } from "./executors/sql-executor.js";
import { createWorkflows, isCreateRace, type WorkflowStatements } from "./queries/workflows.js";
import { untilSeen } from "./store-calls.js";

/** Workflows per statement: keeps parameters and statement size bounded. */
export const MAX_CREATE_BATCH = 1000;

/** Tries of a batch that a concurrent insert of one of its IDs kept failing. */
const RACE_TRIES = 5;

/** Creates `workflows` all or none, in the caller's transaction `into` when given. */
export async function createMany(
  db: SqlExecutor,
  q: WorkflowStatements,
  workflows: readonly NewWorkflow[],
  into?: SqlQueryable,
): Promise<CreateWorkflowResult[]> {
  if (workflows.length === 0) return [];
  const firsts = firstOfEachId(workflows);
  if (into) return writeAll(into, q, workflows, firsts, false);
  for (let attempt = 1; ; attempt++) {
    try {
      return firsts.length <= MAX_CREATE_BATCH
        ? await writeAll(db, q, workflows, firsts, true)
        : await db.transaction((tx) => writeAll(tx, q, workflows, firsts, true));
    } catch (error) {
      // Nothing was written; the next try sees the row that was hidden from this one.
      if (!isCreateRace(error) || attempt >= RACE_TRIES) throw error;
    }
  }
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

/**
 * Writes the first entry of each ID, ≤ 1,000 per statement, every statement sent at once (one
 * connection runs them in order); then answers every entry. With `failOnRace`, a concurrent
 * insert fails the call (see `createAll`); without, that entry is tried again alone.
 */
async function writeAll(
  into: SqlQueryable,
  q: WorkflowStatements,
  workflows: readonly NewWorkflow[],
  firsts: readonly number[],
  failOnRace: boolean,
): Promise<CreateWorkflowResult[]> {
  const distinct = firsts.length === workflows.length;
  const batches: NewWorkflow[][] = [];
  for (let start = 0; start < firsts.length; start += MAX_CREATE_BATCH) {
    const end = start + MAX_CREATE_BATCH;
    batches.push(
      distinct
        ? workflows.slice(start, end)
        : firsts.slice(start, end).map((index) => workflows[index] as NewWorkflow),
    );
  }
  const sent = batches.map((batch) => createWorkflows(into, q, batch, true, failOnRace));
  // Every statement is answered before any refusal: none is left running unheard.
  const answers = await Promise.allSettled(sent);
  const [only] = answers;
  if (answers.length === 1 && only?.status === "fulfilled" && distinct) {
    const answered = whenAllAnswered(workflows, only.value);
    if (answered) return answered;
  }
  const byId = new Map<string, CreateWorkflowResult>();
  for (const [b, answer] of answers.entries()) {
    if (answer.status === "rejected") throw answer.reason;
    const batch = batches[b] as NewWorkflow[];
    const results = answer.value;
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
  if (firsts.length === workflows.length) {
    return workflows.map((workflow) => byId.get(workflow.workflowId) as CreateWorkflowResult);
  }
  const first = new Set(firsts);
  return workflows.map((workflow, index) => {
    const result = byId.get(workflow.workflowId) as CreateWorkflowResult;
    return first.has(index) ? result : { created: false, workflow: result.workflow };
  });
}

/**
 * The results of one statement for distinct IDs, in order, when it answered every entry (no race
 * to try again); else `undefined`, for the general path. Saves a map of every ID per call.
 * @throws WorkflowConflictError as `refuseConflict`.
 */
function whenAllAnswered(
  workflows: readonly NewWorkflow[],
  results: readonly (CreateWorkflowResult | undefined)[],
): CreateWorkflowResult[] | undefined {
  for (let k = 0; k < workflows.length; k++) {
    const result = results[k];
    if (result === undefined) return undefined;
    refuseConflict(workflows[k] as NewWorkflow, result);
  }
  return results as CreateWorkflowResult[];
}

/** Throws when the entry's ID is held by a workflow of another name (its statement wrote nothing). */
function refuseConflict(workflow: NewWorkflow, result: CreateWorkflowResult): void {
  if (!result.created && result.workflow.name !== workflow.name) {
    throw new WorkflowConflictError(workflow.workflowId, result.workflow.name, workflow.name);
  }
}
