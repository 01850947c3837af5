/**
 * The queues page: waiting, delayed, running, finished in the last 5 minutes and per minute,
 * oldest wait, errors, and the limits in force (marked when changed at runtime). Re-read every
 * 5 seconds: claims and finishes of queued work do not all notify.
 */
import { get } from "../api.js";
import { duration, h, replace, table } from "../dom.js";

export function queuesView({ root }) {
  const body = h("div");
  replace(root, h("h1", {}, "Queues"), body);
  const timer = setInterval(() => void refresh(), 5_000);
  async function refresh() {
    try {
      const { queues } = await get("queues");
      const rows = queues.map((q) => {
        const errors = q.counts.ERROR + q.counts.DEAD_LETTER;
        return [
          h("a", { href: `#/?queue=${encodeURIComponent(q.queueName)}` }, q.queueName),
          q.enqueued,
          q.delayed,
          q.running,
          q.finishedRecently,
          q.perMinute.toFixed(1),
          duration(q.oldestWaitMs),
          h("span", { class: errors ? "bad" : "" }, errors),
          h(
            "span",
            { title: q.limitsChanged ? "changed at runtime" : "as defined in code" },
            q.limitsText,
            q.limitsChanged ? " *" : "",
          ),
        ];
      });
      const headers = ["Queue", "Waiting", "Delayed", "Running", "Done (5m)", "Per min"];
      replace(
        body,
        table([...headers, "Oldest wait", "Errors", "Limits"], rows, "No queue is known yet."),
        h("p", { class: "dim" }, "* limits changed at runtime; they replace the defined ones."),
      );
    } catch (error) {
      replace(body, h("p", { class: "error" }, error.message));
    }
  }
  return { refresh, dispose: () => clearInterval(timer) };
}
