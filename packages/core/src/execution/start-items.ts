/**
 * The checks and rows of a bulk start (`engine.startMany`, `client.startMany`), before anything
 * is written: each item's options are checked and its input made into a row exactly as a single
 * start does, and every bad item is reported at once, by index, in one `StartItemsInvalidError`.
 * It writes nothing itself: the caller hands the rows to `store.createWorkflows`.
 */
import { randomUUID } from "node:crypto";
import { assertAttributes, type WorkflowAttributes } from "../attributes.js";
import { toMs } from "../duration.js";
import { InvalidOptionError, StartItemsInvalidError, type InvalidStartItem } from "../errors.js";
import type { NewWorkflow } from "../store/running-store.js";
import { assertWorkflowId } from "../workflow-id.js";
import type { StartManyItem, StartManyItemOptions } from "../workflow-operations.js";

/** An item's checked start options. */
export interface CheckedStart {
  readonly workflowId: string;
  readonly deadlineAt: number | undefined;
  readonly attributes: WorkflowAttributes | undefined;
}

/** Checks one item's `id`, `timeoutMs` and `attributes` as a single start does. */
export function checkStartItem(item: StartManyItemOptions, now: number): CheckedStart {
  return {
    workflowId: item.id === undefined ? randomUUID() : assertWorkflowId(item.id),
    deadlineAt: item.timeoutMs === undefined ? undefined : now + toMs(item.timeoutMs, "timeoutMs"),
    attributes: item.attributes === undefined ? undefined : assertAttributes(item.attributes),
  };
}

/**
 * The rows of `items`, in order, each made by `rowOf` (which throws for a bad item).
 * @throws InvalidOptionError when `items` is not an array; StartItemsInvalidError naming every
 *   invalid item.
 */
export async function startRowsOf<I extends StartManyItem<unknown, object>>(
  workflowName: string,
  items: readonly I[],
  rowOf: (item: I) => NewWorkflow | Promise<NewWorkflow>,
): Promise<NewWorkflow[]> {
  const given: unknown = items; // from JavaScript, anything can arrive
  if (!Array.isArray(given)) throw new InvalidOptionError("items", "expected an array of items");
  const rows: NewWorkflow[] = [];
  const invalid: InvalidStartItem[] = [];
  for (let index = 0; index < items.length; index++) {
    const item = items[index] as I;
    try {
      if (typeof (item as unknown) !== "object" || (item as unknown) === null) {
        throw new InvalidOptionError("items", "expected an object { input, ...options }");
      }
      // Awaited only when it is a promise: a thousand needless awaits are a thousand turns.
      const row = rowOf(item);
      rows.push(row instanceof Promise ? await row : row);
    } catch (error) {
      invalid.push({ index, error });
    }
  }
  const [first, ...rest] = invalid;
  if (first) throw new StartItemsInvalidError(workflowName, [first, ...rest]);
  return rows;
}
