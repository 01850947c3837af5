/**
 * `cairn workflows list`: workflows newest first, filtered by status, names, queue, executor, ID
 * prefix, parent, forks, attributes, and creation, start and completion times, a page at a time. The cursor
 * continues after the last row of the previous page (keyset), so workflows created meanwhile do
 * not shift the pages. The table reads no inputs or outputs; `--json` prints them.
 */
import type { WorkflowInfo, WorkflowStatus } from "@cairn/core";
import type { Command, CommandContext } from "../command.js";
import { renderTable } from "../output/table.js";
import { formatDuration, formatRelative } from "../output/time.js";
import { workflowJson } from "./workflow-json.js";
import {
  cursorAfter,
  DEFAULT_LIMIT,
  FILTER_HELP,
  FILTER_OPTIONS,
  MAX_LIMIT,
  readCursor,
  readFilter,
  readLimit,
} from "./workflows-list-filter.js";

const FINAL = new Set<WorkflowStatus>(["SUCCESS", "ERROR", "CANCELLED", "DEAD_LETTER"]);

export const workflowsList: Command = {
  words: ["workflows", "list"],
  summary: "List workflows, newest first",
  usage: "workflows list [options]",
  description:
    "Times are a duration ago (30s, 15m, 2h, 7d) or a date (2026-11-29, 2026-11-29T20:00:00Z).\n" +
    "When more rows match than --limit, the last line prints the --cursor of the next page (in\n" +
    "--json: nextCursor). DURATION is the run time (started to finished, or to now); a waiting\n" +
    "workflow shows how long it has waited.",
  options: {
    ...FILTER_OPTIONS,
    limit: { type: "string" },
    cursor: { type: "string" },
  },
  optionHelp: {
    ...FILTER_HELP,
    limit: ["<n>", `rows per page (default ${DEFAULT_LIMIT}, at most ${MAX_LIMIT})`],
    cursor: ["<cursor>", "continue after the previous page"],
  },
  examples: [
    "cairn workflows list --status ERROR,DEAD_LETTER --since 1h",
    "cairn workflows list --queue emails --status ENQUEUED --json",
    "cairn workflows list --top-level --name checkout,refund --completed-since 15m",
    `cairn workflows list --attributes '{"tenant": "acme"}' --status ERROR`,
  ],
  async run(ctx) {
    const filter = readFilter(ctx);
    const limit = readLimit(ctx);
    const after = readCursor(ctx);
    const { client } = await ctx.connect();
    const rows = await client.listWorkflows({
      ...filter,
      order: "desc",
      limit: limit + 1,
      ...(after ? { after } : {}),
      ...(ctx.json ? {} : { loadInput: false, loadOutput: false }),
    });
    const page = rows.slice(0, limit);
    const last = page.at(-1);
    const next = rows.length > limit && last ? cursorAfter(last) : undefined;
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

/** Run time when finished; time running so far; a waiting workflow's wait, dimmed. */
function duration(ctx: CommandContext, w: WorkflowInfo, now: number): string {
  const started = (w.startedAt ?? w.createdAt).getTime();
  if (FINAL.has(w.status)) {
    return formatDuration((w.completedAt ?? w.updatedAt).getTime() - started);
  }
  if (w.status === "ENQUEUED")
    return ctx.style.dim(`waiting ${formatDuration(now - w.createdAt.getTime())}`);
  return ctx.style.dim(formatDuration(now - started));
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
      duration(ctx, w, now),
    ]),
    ctx.style,
    "no workflows match",
  );
}
