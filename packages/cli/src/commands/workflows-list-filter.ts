/**
 * The options of `cairn workflows list` turned into core's `ListWorkflowsFilter`, and the page
 * cursor: `<createdAt ms>.<workflow ID in base64url>`, the last row of the previous page, so
 * paging is by keyset and workflows created meanwhile never shift a page. Bad input is a usage
 * error naming the option.
 */
import type { ListWorkflowsFilter, WorkflowInfo, WorkflowStatus } from "@cairn/core";
import { usageError } from "../cli-error.js";
import { listOption, stringOption, type CommandContext } from "../command.js";
import { parseMoment } from "../output/time.js";
import { parseAttributes } from "./workflows-attributes.js";

export const STATUSES: readonly WorkflowStatus[] = [
  "ENQUEUED",
  "PENDING",
  "SUCCESS",
  "ERROR",
  "CANCELLED",
  "DEAD_LETTER",
];
export const DEFAULT_LIMIT = 50;
export const MAX_LIMIT = 1_000;
const COMMAND = "workflows list";

type Filter = { -readonly [K in keyof ListWorkflowsFilter]: ListWorkflowsFilter[K] };

/** The time options: option name → filter field. */
const MOMENTS = {
  since: "createdAfter",
  until: "createdBefore",
  "started-since": "startedAfter",
  "started-until": "startedBefore",
  "completed-since": "completedAfter",
  "completed-until": "completedBefore",
} as const;

/** The plain text options: option name → filter field. */
const TEXTS = {
  queue: "queue",
  executor: "executorId",
  "id-prefix": "workflowIdPrefix",
  parent: "parentWorkflowId",
  "forked-from": "forkedFrom",
} as const;

/** The filter the options ask for (without paging). */
export function readFilter(ctx: CommandContext): Filter {
  const filter: Filter = {};
  const statuses = listOption(ctx.options, "status").map((s) => s.toUpperCase());
  const bad = statuses.find((s) => !STATUSES.includes(s as WorkflowStatus));
  if (bad)
    throw usageError(`unknown status "${bad}"; expected one of ${STATUSES.join(", ")}`, COMMAND);
  if (statuses.length > 0) filter.status = statuses as WorkflowStatus[];
  const names = listOption(ctx.options, "name");
  if (names.length > 0) filter.name = names;
  for (const [option, field] of Object.entries(TEXTS)) {
    const text = stringOption(ctx.options, option);
    if (text !== undefined) filter[field] = text;
  }
  if (ctx.options["top-level"] === true) filter.topLevel = true;
  const attributes = stringOption(ctx.options, "attributes");
  if (attributes !== undefined) {
    filter.attributes = parseAttributes(attributes, "--attributes", COMMAND);
  }
  for (const [option, field] of Object.entries(MOMENTS)) {
    const at = moment(ctx, option);
    if (at !== undefined) filter[field] = at;
  }
  return filter;
}

function moment(ctx: CommandContext, option: string): number | undefined {
  const text = stringOption(ctx.options, option);
  if (text === undefined) return undefined;
  const at = parseMoment(text, ctx.now());
  if (at === undefined) {
    throw usageError(`--${option} "${text}" is neither a duration (2h) nor a date`, COMMAND);
  }
  return at;
}

/** `--limit`, checked. */
export function readLimit(ctx: CommandContext): number {
  const text = stringOption(ctx.options, "limit");
  if (text === undefined) return DEFAULT_LIMIT;
  const limit = Number(text);
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_LIMIT) {
    throw usageError(`--limit must be an integer from 1 to ${MAX_LIMIT}`, COMMAND);
  }
  return limit;
}

/** `--cursor`: the last row of the previous page. */
export function readCursor(
  ctx: CommandContext,
): { readonly createdAt: number; readonly workflowId: string } | undefined {
  const text = stringOption(ctx.options, "cursor");
  if (text === undefined) return undefined;
  const match = /^(\d+)\.([A-Za-z0-9_-]+)$/.exec(text);
  const workflowId = match ? Buffer.from(match[2] ?? "", "base64url").toString("utf8") : "";
  if (!match || Buffer.from(workflowId, "utf8").toString("base64url") !== match[2]) {
    throw usageError(`--cursor "${text}" is not a cursor printed by a previous page`, COMMAND);
  }
  return { createdAt: Number(match[1]), workflowId };
}

/** The cursor that continues after `last`. */
export function cursorAfter(last: WorkflowInfo): string {
  return `${last.createdAt.getTime()}.${Buffer.from(last.workflowId, "utf8").toString("base64url")}`;
}
