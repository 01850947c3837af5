/**
 * The options of `cairn workflows list` turned into core's `ListWorkflowsFilter`, and the page
 * cursor: `<createdAt ms>.<workflow ID in base64url>`, the last row of the previous page, so
 * paging is by keyset and workflows created meanwhile never shift a page. Bad input is a usage
 * error naming the option.
 */
import type { ListWorkflowsFilter, WorkflowInfo, WorkflowStatus } from "@cairn/core";
import { usageError } from "../cli-error.js";
import { listOption, stringOption, type CommandContext, type OptionsConfig } from "../command.js";
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

/** The options that make up a filter (`workflows list`, bulk `cancel` and `resume`). */
export const FILTER_OPTIONS = {
  status: { type: "string", multiple: true },
  name: { type: "string", multiple: true },
  queue: { type: "string" },
  executor: { type: "string" },
  "id-prefix": { type: "string" },
  parent: { type: "string" },
  "top-level": { type: "boolean" },
  "forked-from": { type: "string" },
  attributes: { type: "string" },
  since: { type: "string" },
  until: { type: "string" },
  "started-since": { type: "string" },
  "started-until": { type: "string" },
  "completed-since": { type: "string" },
  "completed-until": { type: "string" },
} satisfies OptionsConfig;

/** Their help lines. */
export const FILTER_HELP: Record<keyof typeof FILTER_OPTIONS, readonly [string, string]> = {
  status: ["<status>", `only these statuses (repeat or comma-separate): ${STATUSES.join(", ")}`],
  name: ["<name>", "only workflows with one of these names (repeat or comma-separate)"],
  queue: ["<queue>", "only workflows enqueued on this queue"],
  executor: ["<id>", "only workflows owned by this executor"],
  "id-prefix": ["<text>", "only workflow IDs that start with this text"],
  parent: ["<id>", "only the children of this workflow"],
  "top-level": ["", "only workflows without a parent"],
  "forked-from": ["<id>", "only the forks of this workflow"],
  attributes: ["<json>", "only workflows whose attributes contain this JSON object"],
  since: ["<time>", "created at or after"],
  until: ["<time>", "created before"],
  "started-since": ["<time>", "started (or claimed from a queue) at or after"],
  "started-until": ["<time>", "started before"],
  "completed-since": ["<time>", "finished at or after"],
  "completed-until": ["<time>", "finished before"],
};

/** The filter the options ask for (without paging); usage errors name `command`. */
export function readFilter(ctx: CommandContext, command = COMMAND): Filter {
  const filter: Filter = {};
  const statuses = listOption(ctx.options, "status").map((s) => s.toUpperCase());
  const bad = statuses.find((s) => !STATUSES.includes(s as WorkflowStatus));
  if (bad)
    throw usageError(`unknown status "${bad}"; expected one of ${STATUSES.join(", ")}`, command);
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
    filter.attributes = parseAttributes(attributes, "--attributes", command);
  }
  for (const [option, field] of Object.entries(MOMENTS)) {
    const at = moment(ctx, option, command);
    if (at !== undefined) filter[field] = at;
  }
  return filter;
}

function moment(ctx: CommandContext, option: string, command: string): number | undefined {
  const text = stringOption(ctx.options, option);
  if (text === undefined) return undefined;
  const at = parseMoment(text, ctx.now());
  if (at === undefined) {
    throw usageError(`--${option} "${text}" is neither a duration (2h) nor a date`, command);
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
