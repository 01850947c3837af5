/**
 * `cairn workflows cancel` and `resume` on many workflows at once: several IDs, or the filter
 * options of `workflows list` (status, name, queue, attributes, times...), handed to the
 * client's `cancelMany` / `resumeMany`. It prints what changed and what was skipped, and why; a
 * skipped workflow is not an error (exit 0), as with one ID.
 */
import type { CancelManyResult, ListWorkflowsFilter, ResumeManyResult } from "@cairn/core";
import { usageError } from "../cli-error.js";
import { stringOption, type CommandContext } from "../command.js";
import { FILTER_OPTIONS, readFilter } from "./workflows-list-filter.js";

/** The filter options of `resume`: all but `--executor`, which there names who runs them. */
export const RESUME_FILTER_OPTIONS = (({ executor: _executor, ...rest }) => rest)(FILTER_OPTIONS);

/** Which filter options a command takes. */
type FilterOptions = typeof FILTER_OPTIONS | typeof RESUME_FILTER_OPTIONS;

/** Whether the command line asks for a bulk operation: not exactly one ID and no filter. */
export function isBulk(ctx: CommandContext, options: FilterOptions): boolean {
  return ctx.args.length !== 1 || hasFilter(ctx, options);
}

function hasFilter(ctx: CommandContext, options: FilterOptions): boolean {
  return Object.keys(options).some((option) => ctx.options[option] !== undefined);
}

/** The filter of a bulk command: the IDs given and the filter options. */
export function bulkFilter(
  ctx: CommandContext,
  command: string,
  options: FilterOptions,
): ListWorkflowsFilter {
  if (ctx.args.length === 0 && !hasFilter(ctx, options)) {
    throw usageError("give workflow IDs, or filter options such as --status or --name", command);
  }
  const { executorId, ...rest } = readFilter(ctx, command);
  const filter = "executor" in options && executorId !== undefined ? { ...rest, executorId } : rest;
  const limit = stringOption(ctx.options, "limit");
  if (limit !== undefined && !/^[1-9]\d*$/.test(limit)) {
    throw usageError("--limit must be an integer >= 1", command);
  }
  return {
    ...filter,
    ...(ctx.args.length === 0 ? {} : { workflowIds: ctx.args }),
    ...(limit === undefined ? {} : { limit: Number(limit) }),
  };
}

/** Prints a bulk result: JSON as the client returned it, or two short paragraphs. */
export function printBulk(
  ctx: CommandContext,
  verb: "cancelled" | "resumed",
  result: CancelManyResult | ResumeManyResult,
): void {
  const changed = "cancelled" in result ? result.cancelled : result.resumed;
  if (ctx.json) {
    ctx.out(JSON.stringify({ [verb]: changed, skipped: result.skipped }, null, 2));
    return;
  }
  const plural = (n: number) => `${n} workflow${n === 1 ? "" : "s"}`;
  const lines = [
    changed.length === 0
      ? `nothing ${verb}`
      : `${verb} ${plural(changed.length)}: ${changed.join(", ")}`,
  ];
  if (result.skipped.length > 0) {
    lines.push(`skipped ${plural(result.skipped.length)}:`);
    for (const skip of result.skipped) {
      const why = skip.status === undefined ? "not found" : ctx.style.status(skip.status);
      lines.push(`  ${skip.workflowId}  ${why}`);
    }
  }
  ctx.out(lines.join("\n"));
}
