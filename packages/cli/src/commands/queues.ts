/**
 * `cairn queues`: every queue the database knows, with how many wait (and how many of those are
 * delayed), how many run, how many finished recently and per minute, how long the oldest has
 * waited, errors, and the limits in force (defined in code, or changed at runtime: marked `*`).
 */
import { usageError } from "../cli-error.js";
import { stringOption, type Command } from "../command.js";
import { renderTable } from "../output/table.js";
import { formatDuration, parseMoment } from "../output/time.js";
import { describeLimits, loadQueueOverview } from "../queue-overview.js";

const DEFAULT_WINDOW = "5m";

export const queues: Command = {
  words: ["queues"],
  summary: "List queues: waiting, delayed, running, throughput, oldest wait, limits",
  usage: "queues [--window <duration>]",
  description: "Limits marked * were changed at runtime and replace the ones defined in code.",
  options: { window: { type: "string" } },
  optionHelp: {
    window: ["<duration>", `how far back "finished recently" looks (default ${DEFAULT_WINDOW})`],
  },
  async run(ctx) {
    const windowText = stringOption(ctx.options, "window") ?? DEFAULT_WINDOW;
    const ago = parseMoment(windowText, 0);
    if (ago === undefined || !/^\d/.test(windowText) || ago >= 0) {
      throw usageError(`--window "${windowText}" is not a duration such as 5m or 1h`, "queues");
    }
    const windowMs = -ago;
    const { inspector, queues: queueStore } = await ctx.connect();
    const rows = await loadQueueOverview(inspector, queueStore, windowMs);
    if (ctx.json) {
      ctx.out(JSON.stringify({ windowMs, queues: rows }, null, 2));
      return;
    }
    const errors = (r: (typeof rows)[number]) => r.counts.ERROR + r.counts.DEAD_LETTER;
    ctx.out(
      renderTable(
        [
          { header: "QUEUE" },
          { header: "WAITING", align: "right" },
          { header: "DELAYED", align: "right" },
          { header: "RUNNING", align: "right" },
          { header: `DONE/${windowText}`, align: "right" },
          { header: "PER MIN", align: "right" },
          { header: "OLDEST WAIT", align: "right" },
          { header: "ERRORS", align: "right" },
          { header: "LIMITS" },
        ],
        rows.map((r) => [
          r.queueName,
          String(r.enqueued),
          String(r.delayed),
          String(r.running),
          String(r.finishedRecently),
          String(r.perMinute),
          r.oldestWaitMs === null ? "-" : formatDuration(r.oldestWaitMs),
          errors(r) > 0 ? ctx.style.red(String(errors(r))) : "0",
          `${describeLimits(r.limits)}${r.limitsChanged ? " *" : ""}`,
        ]),
        ctx.style,
        "no queues known",
      ),
    );
  },
};
