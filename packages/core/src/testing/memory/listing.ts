/**
 * `listWorkflows` of the memory store: the filter as a predicate, the order (creation time, then
 * ID), keyset and offset paging, and the values a filter leaves out. What Postgres does with a
 * `where`, an `order by` and a column list, done on the rows in memory.
 */
import type { JsonValue } from "../../attributes.js";
import type { WorkflowRecord } from "../../store/records.js";
import type { ListedWorkflow, WorkflowFilter } from "../../store/running-store.js";

/** The rows matching `filter`, ordered and paged as the store contract says. */
export function listMatching(
  records: Iterable<WorkflowRecord>,
  filter: WorkflowFilter,
): ListedWorkflow[] {
  const sign = filter.order === "desc" ? -1 : 1;
  const { after } = filter;
  const matches = [...records]
    .filter((record) => matchesFilter(record, filter))
    .filter((record) => after === undefined || sign * compareCreated(record, after) > 0)
    .sort((a, b) => sign * compareCreated(a, b));
  const offset = filter.offset ?? 0;
  return matches.slice(offset, offset + (filter.limit ?? 100)).map((r) => project(r, filter));
}

/** Listing order: creation time, then ID by code unit. */
function compareCreated(
  a: Pick<WorkflowRecord, "createdAt" | "workflowId">,
  b: Pick<WorkflowRecord, "createdAt" | "workflowId">,
): number {
  if (a.createdAt !== b.createdAt) return a.createdAt - b.createdAt;
  return a.workflowId < b.workflowId ? -1 : a.workflowId > b.workflowId ? 1 : 0;
}

const oneOrMany = <T>(value: T | readonly T[] | undefined): readonly T[] | undefined =>
  value === undefined ? undefined : Array.isArray(value) ? value : [value as T];

/** `at` lies in [from, until): an absent bound is open; an absent `at` never matches a bound. */
function inRange(at: number | undefined, from: number | undefined, until: number | undefined) {
  if (from === undefined && until === undefined) return true;
  return (
    at !== undefined && (from === undefined || at >= from) && (until === undefined || at < until)
  );
}

function matchesFilter(record: WorkflowRecord, filter: WorkflowFilter): boolean {
  const statuses = oneOrMany(filter.status);
  const names = oneOrMany(filter.name);
  const equal = <T>(wanted: T | undefined, actual: T) => wanted === undefined || wanted === actual;
  return (
    (statuses === undefined || statuses.includes(record.status)) &&
    (names === undefined || names.includes(record.name)) &&
    equal(filter.executorId, record.executorId) &&
    equal(filter.parentWorkflowId, record.parentWorkflowId) &&
    equal(filter.topLevel, record.parentWorkflowId === undefined) &&
    (filter.workflowIds === undefined || filter.workflowIds.includes(record.workflowId)) &&
    (filter.workflowIdPrefix === undefined ||
      record.workflowId.startsWith(filter.workflowIdPrefix)) &&
    equal(filter.forkedFrom, record.forkedFrom) &&
    inRange(record.createdAt, filter.createdAfter, filter.createdBefore) &&
    inRange(record.startedAt, filter.startedAfter, filter.startedBefore) &&
    inRange(record.completedAt, filter.completedAfter, filter.completedBefore) &&
    equal(filter.appVersion, record.appVersion) &&
    equal(filter.queueName, record.queueName) &&
    (filter.attributes === undefined ||
      (record.attributes !== undefined && contains(record.attributes, filter.attributes)))
  );
}

/**
 * Postgres's jsonb containment (`value @> wanted`) below the top level, where both sides are
 * objects: objects contain objects key by key, an array contains an array whose every element
 * it contains, scalars contain equal scalars of the same type.
 */
function contains(value: JsonValue, wanted: JsonValue): boolean {
  if (Array.isArray(wanted)) {
    if (!Array.isArray(value)) return false;
    const [values, wants] = [value as readonly JsonValue[], wanted as readonly JsonValue[]];
    return wants.every((w) => values.some((v) => contains(v, w)));
  }
  if (typeof wanted === "object" && wanted !== null) {
    if (typeof value !== "object" || value === null || Array.isArray(value)) return false;
    const object = value as { readonly [key: string]: JsonValue };
    const wantedObject = wanted as { readonly [key: string]: JsonValue };
    return Object.keys(wantedObject).every(
      (key) =>
        Object.hasOwn(object, key) &&
        contains(object[key] as JsonValue, wantedObject[key] as JsonValue),
    );
  }
  return value === wanted;
}

/** The row with the values the filter leaves out set to `undefined`. */
function project(record: WorkflowRecord, filter: WorkflowFilter): ListedWorkflow {
  return {
    ...record,
    ...(filter.loadInput === false ? { input: undefined } : {}),
    ...(filter.loadOutput === false ? { output: undefined, error: undefined } : {}),
  };
}
