/**
 * `cairn workflows list`: workflows newest first, filtered by status, name, queue, executor and
 * creation time, a page at a time. The cursor continues after the last row of the previous page
 * by creation time, so workflows created meanwhile do not shift the pages.
 */
import type { ListWorkflowsFilter, WorkflowInfo, WorkflowStatus } from "@cairn/core";
import { usageError } from "../cli-error.js";
import { listOption, stringOption, type Command, type CommandContext } from "../command.js";
import { renderTable } from "../output/table.js";
import { formatDuration, formatRelative, parseMoment } from "../output/time.js";
import { workflowJson } from "./workflow-json.js";

const STATUSES: readonly WorkflowStatus[] = [
  "ENQUEUED",
  "PENDING",
  "SUCCESS",
  "ERROR",
  "CANCELLED",
  "DEAD_LETTER",
];
const FINAL = new Set<WorkflowStatus>(["SUCCESS", "ERROR", "CANCELLED", "DEAD_LETTER"]);
const DEFAULT_LIMIT = 50;
const MAX_LIMIT = 1_000;

/** Where the next page starts: strictly before `before`, skipping `skip` rows created at it. */
interface Cursor {
  readonly before: number;
  readonly skip: number;
}

export const workflowsList: Command = {
  words: ["workflows", "list"],
  summary: "List workflows, newest first",
  usage: "workflows list [options]",
  description:
    "Times for --since/--until are a duration ago (30s, 15m, 2h, 7d) or a date (2026-11-29,\n" +
    "2026-11-29T20:00:00Z). When more rows match than --limit, the last line prints the\n" +
    "--cursor of the next page (in --json: nextCursor).",
  options: {
    status: { type: "string", multiple: true },
    name: { type: "string" },
    queue: { type: "string" },
    executor: { type: "string" },
    since: { type: "string" },
    until: { type: "string" },
    limit: { type: "string" },
    cursor: { type: "string" },
  },
  optionHelp: {
    status: ["<status>", `only these statuses (repeat or comma-separate): ${STATUSES.join(", ")}`],
    name: ["<name>", "only workflows with this name"],
    queue: ["<queue>", "only workflows enqueued on this queue"],
    executor: ["<id>", "only workflows owned by this executor"],
    since: ["<time>", "created at or after"],
    until: ["<time>", "created before"],
    limit: ["<n>", `rows per page (default ${DEFAULT_LIMIT}, at most ${MAX_LIMIT})`],
    cursor: ["<cursor>", "continue after the previous page"],
  },
  examples: [
    "cairn workflows list --status ERROR,DEAD_LETTER --since 1h",
    "cairn workflows list --queue emails --status ENQUEUED --json",
  ],
  async run(ctx) {
    const filter = readFilter(ctx);
    const { client } = await ctx.connect();
    const limit = filter.limit ?? DEFAULT_LIMIT;
    const cursor = readCursor(ctx);
    const rows = await client.listWorkflows({
      ...filter,
      order: "desc",
      limit: limit + 1,
      ...(cursor ? { createdBefore: cursor.before, offset: cursor.skip } : {}),
    });
    const page = rows.slice(0, limit);
    const next = rows.length > limit ? nextCursor(page, cursor) : undefined;
    if (ctx.json) {
      ctx.out(
        JSON.stringify({ workflows: page.map(workflowJson), nextCursor: next ?? null }, null, 2),
      );
      return;
    }
    ctx.out(renderRows(ctx, page));
    if (next) ctx.out(ctx.style.dim(`more: --cursor ${next}`));
  },
};

function readFilter(ctx: CommandContext): ListWorkflowsFilter & { limit?: number } {
  const now = ctx.now();
  const statuses = listOption(ctx.options, "status").map((s) => s.toUpperCase());
  const bad = statuses.find((s) => !STATUSES.includes(s as WorkflowStatus));
  if (bad)
    throw usageError(
      `unknown status "${bad}"; expected one of ${STATUSES.join(", ")}`,
      "workflows list",
    );
  const moment = (name: string) => {
    const text = stringOption(ctx.options, name);
    if (text === undefined) return undefined;
    const at = parseMoment(text, now);
    if (at === undefined) {
      throw usageError(
        `--${name} "${text}" is neither a duration (2h) nor a date`,
        "workflows list",
      );
    }
    return at;
  };
  const limitText = stringOption(ctx.options, "limit");
  const limit = limitText === undefined ? undefined : Number(limitText);
  if (limit !== undefined && (!Number.isInteger(limit) || limit < 1 || limit > MAX_LIMIT)) {
    throw usageError(`--limit must be an integer from 1 to ${MAX_LIMIT}`, "workflows list");
  }
  const since = moment("since");
  const until = moment("until");
  const name = stringOption(ctx.options, "name");
  const queue = stringOption(ctx.options, "queue");
  const executorId = stringOption(ctx.options, "executor");
  return {
    ...(statuses.length > 0 ? { status: statuses as WorkflowStatus[] } : {}),
    ...(name === undefined ? {} : { name }),
    ...(queue === undefined ? {} : { queue }),
    ...(executorId === undefined ? {} : { executorId }),
    ...(since === undefined ? {} : { createdAfter: since }),
    ...(until === undefined ? {} : { createdBefore: until }),
    ...(limit === undefined ? {} : { limit }),
  };
}

function readCursor(ctx: CommandContext): Cursor | undefined {
  const text = stringOption(ctx.options, "cursor");
  if (text === undefined) return undefined;
  const match = /^(\d+)\.(\d+)$/.exec(text);
  if (!match)
    throw usageError(
      `--cursor "${text}" is not a cursor printed by a previous page`,
      "workflows list",
    );
  // The cursor's time is never later than --until: it came from a row created before it.
  return { before: Number(match[1]), skip: Number(match[2]) };
}

/** The cursor after `page`: before its last row's time + 1 ms, skipping the rows at that ms. */
function nextCursor(page: readonly WorkflowInfo[], previous: Cursor | undefined): string {
  const last = page.at(-1);
  if (!last) return "";
  const at = last.createdAt.getTime();
  let skip = page.filter((w) => w.createdAt.getTime() === at).length;
  if (previous && previous.before === at + 1 && page.every((w) => w.createdAt.getTime() === at)) {
    skip += previous.skip;
  }
  return `${at + 1}.${skip}`;
}

function renderRows(ctx: CommandContext, rows: readonly WorkflowInfo[]): string {
  const now = ctx.now();
  return renderTable(
    [
      { header: "ID" },
      { header: "NAME" },
      { header: "STATUS" },
      { header: "QUEUE" },
      { header: "EXECUTOR" },
      { header: "CREATED" },
      { header: "DURATION", align: "right" },
    ],
    rows.map((w) => [
      w.workflowId,
      w.name,
      ctx.style.status(w.status),
      w.queueName ?? "-",
      w.executorId,
      formatRelative(w.createdAt, now),
      FINAL.has(w.status)
        ? formatDuration(w.updatedAt.getTime() - w.createdAt.getTime())
        : ctx.style.dim(formatDuration(now - w.createdAt.getTime())),
    ]),
    ctx.style,
    "no workflows match",
  );
}
