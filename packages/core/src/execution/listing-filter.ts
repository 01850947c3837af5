/**
 * The public `listWorkflows` filter checked and turned into the store's: moments (`Date` or epoch
 * ms) to milliseconds, `queue` to `queueName`, the keyset cursor to `{ createdAt, workflowId }`.
 * A bad value is an `InvalidOptionError` naming the filter field, before the store is asked.
 */
import { assertAttributes } from "../attributes.js";
import { InvalidOptionError } from "../errors.js";
import type { ListWorkflowsFilter, Moment } from "../inspection.js";
import type { WorkflowFilter } from "../store/running-store.js";

const MOMENTS = [
  "createdAfter",
  "createdBefore",
  "startedAfter",
  "startedBefore",
  "completedAfter",
  "completedBefore",
] as const;

/** Epoch ms of `at`; throws naming `field` unless it is a valid `Date` or a finite number. */
function millis(at: Moment, field: string): number {
  const ms = at instanceof Date ? at.getTime() : at;
  if (typeof ms !== "number" || !Number.isFinite(ms)) {
    throw new InvalidOptionError(field, "expected a valid Date or finite epoch milliseconds");
  }
  return ms;
}

function count(value: number | undefined, field: string): void {
  if (value !== undefined && !(Number.isInteger(value) && value >= 0)) {
    throw new InvalidOptionError(field, "expected an integer >= 0");
  }
}

/** The store's filter for `filter`; throws `InvalidOptionError` for a bad field. */
export function storeFilter(filter: ListWorkflowsFilter): WorkflowFilter {
  const {
    queue,
    after,
    createdAfter: _ca,
    createdBefore: _cb,
    startedAfter: _sa,
    startedBefore: _sb,
    completedAfter: _pa,
    completedBefore: _pb,
    ...rest
  } = filter;
  count(filter.limit, "limit");
  count(filter.offset, "offset");
  if (filter.workflowIdPrefix !== undefined && typeof filter.workflowIdPrefix !== "string") {
    throw new InvalidOptionError("workflowIdPrefix", "expected a string");
  }
  const moments: { -readonly [K in (typeof MOMENTS)[number]]?: number } = {};
  for (const field of MOMENTS) {
    const at = filter[field];
    if (at !== undefined) moments[field] = millis(at, field);
  }
  if (filter.attributes !== undefined) assertAttributes(filter.attributes);
  if (after !== undefined && typeof after.workflowId !== "string") {
    throw new InvalidOptionError(
      "after",
      "expected the last row of a page: { createdAt, workflowId }",
    );
  }
  return {
    ...rest,
    ...moments,
    ...(queue === undefined ? {} : { queueName: queue }),
    ...(after === undefined
      ? {}
      : {
          after: {
            createdAt: millis(after.createdAt, "after.createdAt"),
            workflowId: after.workflowId,
          },
        }),
  };
}
