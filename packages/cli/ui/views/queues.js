/** The queues page: waiting, delayed, running, finished in the last 5 minutes, oldest wait. */
import { get } from "../api.js";
import { duration, h, replace, table } from "../dom.js";

export function queuesView({ root }) {
  const body = h("div");
  replace(
    root,
    h("h1", {}, "Queues"),
    h("p", { class: "dim" }, "Limits are set in code (defineQueue) and not stored, so not shown."),
    body,
  );
  async function refresh() {
    try {
      const { queues, windowMs } = await get("queues");
      const rows = queues.map((q) => [
        h("a", { href: `#/?queue=${encodeURIComponent(q.queueName)}` }, q.queueName),
        q.enqueued,
        q.counts.delayed,
        q.running,
        q.finishedRecently,
        ((q.finishedRecently / windowMs) * 60_000).toFixed(1),
        duration(q.oldestWaitMs),
        h(
          "span",
          { class: q.counts.ERROR + q.counts.DEAD_LETTER ? "bad" : "" },
          q.counts.ERROR + q.counts.DEAD_LETTER,
        ),
      ]);
      replace(
        body,
        table(
          [
            "Queue",
            "Waiting",
            "Delayed",
            "Running",
            "Done (5m)",
            "Per min",
            "Oldest wait",
            "Errors",
          ],
          rows,
          "No queue holds a workflow.",
        ),
      );
    } catch (error) {
      replace(body, h("p", { class: "error" }, error.message));
    }
  }
  return { refresh, dispose() {} };
}
