/**
 * Cancel and resume many workflows at once (`cancelMany`, `resumeMany`): select them with the
 * `listWorkflows` filter, page by page in keyset order without their values, and hand each
 * page's actionable IDs to the store in one call (one statement on Postgres). What was selected
 * but not changed is reported with the reason — unknown, or in a status the operation does not
 * apply to (read again when it changed between the listing and the call). It does not run
 * anything: the engine starts what it resumed for itself through `onResumed`.
 */
import { InvalidOptionError } from "../errors.js";
import type { ListWorkflowsFilter } from "../inspection.js";
import type { WorkflowStatus } from "../store/records.js";
import type { ListedWorkflow, WorkflowFilter } from "../store/running-store.js";
import type { WorkflowStore } from "../store/workflow-store.js";
import type { SkippedWorkflow } from "../workflow-operations.js";
import { storeFilter } from "./listing-filter.js";

/** IDs handed to the store per call. */
export const BULK_BATCH = 500;

/** The fields that only page or shape a listing: a filter of these alone selects everything. */
const PAGING: ReadonlySet<string> = new Set([
  "limit",
  "offset",
  "after",
  "order",
  "loadInput",
  "loadOutput",
]);

/** One bulk operation: which statuses it applies to, and the store call for a batch. */
export interface BulkAction {
  /** `cancelMany` or `resumeMany`, for errors. */
  readonly operation: string;
  readonly applies: readonly WorkflowStatus[];
  /** Changes `workflowIds` (all in `applies` when listed); returns every ID it changed. */
  act(workflowIds: readonly string[]): Promise<readonly string[]>;
}

/** What a bulk operation changed and skipped. */
export interface BulkOutcome {
  readonly changed: string[];
  readonly skipped: SkippedWorkflow[];
}

/** Selects by `filter` and applies `action` batch by batch. */
export async function applyToMany(
  store: WorkflowStore,
  filter: ListWorkflowsFilter,
  action: BulkAction,
): Promise<BulkOutcome> {
  const selection = selectionOf(filter, action);
  const changed = new Set<string>();
  const skipped = new Map<string, SkippedWorkflow>();
  const raced: string[] = [];
  const listed = new Set<string>();
  for await (const page of pages(store, selection)) {
    const ids: string[] = [];
    for (const row of page) {
      listed.add(row.workflowId);
      if (changed.has(row.workflowId)) continue; // a descendant an earlier batch cancelled
      if (action.applies.includes(row.status)) ids.push(row.workflowId);
      else skipped.set(row.workflowId, bySkip(row.workflowId, row.status));
    }
    if (ids.length === 0) continue;
    const done = await action.act(ids);
    for (const id of done) changed.add(id);
    raced.push(...ids.filter((id) => !changed.has(id)));
  }
  for (const id of filter.workflowIds ?? []) {
    if (!listed.has(id)) skipped.set(id, { workflowId: id, reason: "not-found" });
  }
  for (const skip of await reread(store, raced)) skipped.set(skip.workflowId, skip);
  return { changed: [...changed], skipped: [...skipped.values()] };
}

/** The store filter of the selection, and how many rows at most (`Infinity`: all). */
interface Selection {
  readonly filter: WorkflowFilter;
  readonly max: number;
}

function selectionOf(filter: ListWorkflowsFilter, action: BulkAction): Selection {
  if (typeof filter !== "object" || filter === null || Array.isArray(filter)) {
    throw new InvalidOptionError(`${action.operation} filter`, "expected a listWorkflows filter");
  }
  const selecting = Object.entries(filter).filter(
    ([key, value]) => value !== undefined && !PAGING.has(key) && !isEmptyObject(value),
  );
  if (selecting.length === 0) {
    throw new InvalidOptionError(
      `${action.operation} filter`,
      "it selects nothing by (only paging fields); name the workflows, or pass a status to act on all",
    );
  }
  const narrowed =
    filter.status === undefined && filter.workflowIds === undefined
      ? { ...filter, status: action.applies }
      : filter;
  const { limit, ...rest } = storeFilter({ ...narrowed, loadInput: false, loadOutput: false });
  return { filter: rest, max: limit ?? Number.POSITIVE_INFINITY };
}

/** The selection's rows, a batch at a time, in keyset order (later pages see earlier changes). */
async function* pages(
  store: WorkflowStore,
  selection: Selection,
): AsyncGenerator<ListedWorkflow[]> {
  let remaining = selection.max;
  let filter = selection.filter;
  while (remaining > 0) {
    const limit = Math.min(BULK_BATCH, remaining);
    const page = await store.listWorkflows({
      ...filter,
      limit,
      loadInput: false,
      loadOutput: false,
    });
    if (page.length > 0) yield page;
    const last = page.at(-1);
    if (page.length < limit || last === undefined) return;
    remaining -= page.length;
    const { offset: _offset, ...rest } = filter;
    filter = { ...rest, after: { createdAt: last.createdAt, workflowId: last.workflowId } };
  }
}

/** Why each of `ids` (selected, then not changed by the store) was left: read again. */
async function reread(store: WorkflowStore, ids: readonly string[]): Promise<SkippedWorkflow[]> {
  if (ids.length === 0) return [];
  const rows = await store.listWorkflows({
    workflowIds: ids,
    limit: ids.length,
    loadInput: false,
    loadOutput: false,
  });
  const status = new Map(rows.map((row) => [row.workflowId, row.status]));
  return ids.map((id) => {
    const now = status.get(id);
    return now === undefined ? { workflowId: id, reason: "not-found" } : bySkip(id, now);
  });
}

/** `{}`: as an `attributes` filter it contains every workflow, so it selects nothing by. */
function isEmptyObject(value: unknown): boolean {
  return (
    typeof value === "object" &&
    value !== null &&
    !Array.isArray(value) &&
    Object.keys(value).length === 0
  );
}

function bySkip(workflowId: string, status: WorkflowStatus): SkippedWorkflow {
  return { workflowId, reason: "status", status };
}
