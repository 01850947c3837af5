/**
 * `cairn queues`: every queue that holds a workflow, with how many wait (and how many of those
 * are delayed), how many run, how long the oldest has waited, and how many finished recently.
 * Queue limits live in the code that defines the queue (`defineQueue`), not in the database, so
 * they are not shown here.
 */
import { stringOption, type Command } from "../command.js";
import { usageError } from "../cli-error.js";
import { renderTable } from "../output/table.js";
import { formatDuration, parseMoment } from "../output/time.js";

const DEFAULT_WINDOW = "5m";

export const queues: Command = {
  words: ["queues"],
  summary: "List queues: waiting, delayed, running, finished recently, oldest wait",
  usage: "queues [--window <duration>]",
  options: { window: { type: "string" } },
  optionHelp: {
    window: ["<duration>", `how far back "finished recently" looks (default ${DEFAULT_WINDOW})`],
  },
  async run(ctx) {
    const windowText = stringOption(ctx.options, "window") ?? DEFAULT_WINDOW;
    const ago = parseMoment(windowText, 0);
    if (ago === undefined || !/^\d/.test(windowText)) {
      throw usageError(`--window "${windowText}" is not a duration such as 5m or 1h`, "queues");
    }
    const windowMs = -ago;
    const { inspector, queues: queueStore } = await ctx.connect();
    const [activity, now] = await Promise.all([
      inspector.listQueues({ windowMs }),
      inspector.now(),
    ]);
    const rows = await Promise.all(
      activity.map(async (q) => {
        const counts = await queueStore.counts(q.queueName);
        const oldestWaitMs =
          q.oldestEnqueuedAt === undefined ? undefined : now - q.oldestEnqueuedAt;
        return {
          queueName: q.queueName,
          enqueued: q.enqueued,
          delayed: counts.delayed,
          running: q.running,
          finishedRecently: q.finishedRecently,
          perMinute: Math.round((q.finishedRecently / windowMs) * 60_000 * 10) / 10,
          oldestWaitMs,
          counts,
        };
      }),
    );
    if (ctx.json) {
      ctx.out(
        JSON.stringify(
          { windowMs, queues: rows.map((r) => ({ ...r, oldestWaitMs: r.oldestWaitMs ?? null })) },
          null,
          2,
        ),
      );
      return;
    }
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
        ],
        rows.map((r) => [
          r.queueName,
          String(r.enqueued),
          String(r.delayed),
          String(r.running),
          String(r.finishedRecently),
          String(r.perMinute),
          r.oldestWaitMs === undefined ? "-" : formatDuration(r.oldestWaitMs),
          r.counts.ERROR + r.counts.DEAD_LETTER > 0
            ? ctx.style.red(String(r.counts.ERROR + r.counts.DEAD_LETTER))
            : "0",
        ]),
        ctx.style,
        "no queues hold workflows",
      ),
    );
  },
};
