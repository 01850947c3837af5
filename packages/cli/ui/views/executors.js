/** The executors page: state, version, last heartbeat (database clock), lease, running. */
import { get } from "../api.js";
import { duration, h, replace, table } from "../dom.js";

export function executorsView({ root }) {
  const body = h("div");
  replace(root, h("h1", {}, "Executors"), body);
  const timer = setInterval(() => void refresh(), 5_000); // heartbeats do not notify
  async function refresh() {
    try {
      const { executors } = await get("executors");
      const rows = executors.map((e) => [
        h(
          "a",
          { href: `#/?executor=${encodeURIComponent(e.executorId)}`, class: "mono" },
          e.executorId,
        ),
        h("span", { class: `state ${e.state}` }, e.state),
        e.appVersion ?? "–",
        h("span", { title: e.heartbeatAt }, `${duration(e.heartbeatAgeMs)} ago`),
        duration(e.leaseMs),
        e.running,
      ]);
      replace(
        body,
        table(
          ["Executor", "State", "Version", "Heartbeat", "Lease", "Running"],
          rows,
          "No executor has heartbeated on this schema.",
        ),
      );
    } catch (error) {
      replace(body, h("p", { class: "error" }, error.message));
    }
  }
  return { refresh, dispose: () => clearInterval(timer) };
}
