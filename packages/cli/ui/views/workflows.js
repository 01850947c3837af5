/**
 * The workflows list: filters (status, name, queue, executor, top-level only), a search box (ID
 * prefix or name), newest first, 50 a page, with each run's time (started to finished) or a
 * queued one's wait; refreshed live when any workflow changes. Filters live in the URL, so a
 * filtered view can be bookmarked and shared.
 */
import { get } from "../api.js";
import { ago, badge, duration, h, replace, table, workflowLink } from "../dom.js";

const STATUSES = ["ENQUEUED", "PENDING", "SUCCESS", "ERROR", "CANCELLED", "DEAD_LETTER"];
const FINAL = new Set(["SUCCESS", "ERROR", "CANCELLED", "DEAD_LETTER"]);

export function workflowsView({ root, navigate }, params) {
  let offset = Number(params.get("offset") ?? 0);
  const field = (name, placeholder) =>
    h("input", { name, placeholder, value: params.get(name) ?? "", type: "search" });
  const status = h(
    "select",
    { name: "status" },
    h("option", { value: "" }, "any status"),
    STATUSES.map((s) => h("option", { value: s, selected: params.get("status") === s }, s)),
  );
  const form = h(
    "form",
    { class: "filters", role: "search" },
    field("search", "Search ID or name"),
    status,
    field("name", "name"),
    field("queue", "queue"),
    field("executor", "executor"),
    h(
      "label",
      { class: "check" },
      h("input", {
        type: "checkbox",
        name: "topLevel",
        value: "1",
        checked: params.get("topLevel") === "1",
      }),
      " top-level only",
    ),
    h("button", { type: "submit" }, "Filter"),
  );
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const query = new URLSearchParams();
    for (const [key, value] of new FormData(form)) if (value) query.set(key, String(value));
    navigate(`#/?${query}`);
  });
  const results = h("div", { class: "results" });
  replace(root, h("h1", {}, "Workflows"), form, results);

  async function refresh() {
    const query = new URLSearchParams(params);
    query.set("offset", String(offset));
    try {
      const data = await get(`workflows?${query}`);
      replace(results, render(data));
    } catch (error) {
      replace(results, h("p", { class: "error" }, error.message));
    }
  }

  function render({ workflows, nextOffset }) {
    const rows = workflows.map((w) => [
      workflowLink(w.workflowId),
      w.name,
      badge(w.status),
      w.queueName ?? "–",
      h("span", { class: "mono" }, w.executorId),
      ago(w.createdAt),
      runTime(w),
    ]);
    const pager = h(
      "div",
      { class: "pager" },
      offset > 0 &&
        h("button", { onclick: () => ((offset = Math.max(0, offset - 50)), refresh()) }, "← Newer"),
      nextOffset !== null &&
        h("button", { onclick: () => ((offset = nextOffset), refresh()) }, "Older →"),
    );
    return [
      table(
        ["ID", "Name", "Status", "Queue", "Executor", "Created", "Duration"],
        rows,
        "No workflows match.",
      ),
      pager,
    ];
  }

  return { refresh, dispose() {} };
}

/** Started to finished; running so far (dim); a queued workflow's wait so far (dim). */
function runTime(w) {
  const started = Date.parse(w.startedAt ?? w.createdAt);
  if (FINAL.has(w.status)) return duration(Date.parse(w.completedAt ?? w.updatedAt) - started);
  if (w.status === "ENQUEUED") {
    return h("span", { class: "dim" }, `waiting ${duration(Date.now() - Date.parse(w.createdAt))}`);
  }
  return h("span", { class: "dim" }, duration(Date.now() - started));
}
