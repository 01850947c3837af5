/**
 * The workflows list: filters (status, name, queue, executor), a search box (ID prefix or name),
 * newest first, 50 a page; refreshed live when any workflow changes. Filters live in the URL,
 * so a filtered view can be bookmarked and shared.
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
      FINAL.has(w.status)
        ? duration(Date.parse(w.updatedAt) - Date.parse(w.createdAt))
        : h("span", { class: "dim" }, duration(Date.now() - Date.parse(w.createdAt))),
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
