/**
 * The dashboard's front end: a hash router over four views (workflows, one workflow, queues,
 * executors), the live connection that tells the current view to refresh when the database
 * reports a change, and the confirmation dialog actions go through. Plain ES modules served by
 * the package itself; nothing loads from the internet.
 */
import { adoptTokenFromHash, openLive } from "./api.js";
import { replace } from "./dom.js";
import { executorsView } from "./views/executors.js";
import { queuesView } from "./views/queues.js";
import { workflowView } from "./views/workflow.js";
import { workflowsView } from "./views/workflows.js";

const view = document.getElementById("view");
const liveBadge = document.getElementById("live");
/** The mounted view: `{ refresh(), onChange(notification), dispose() }`. */
let current;
let refreshTimer;

function route() {
  current?.dispose?.();
  const hash = location.hash.replace(/^#/, "") || "/";
  const [, page, ...rest] = hash.split("/");
  const nav = page === "workflow" || page === "" ? "workflows" : page;
  for (const link of document.querySelectorAll("[data-nav]")) {
    link.classList.toggle("active", link.dataset.nav === nav);
  }
  const context = { root: view, confirm, navigate: (to) => (location.hash = to) };
  if (page === "workflow" && rest.length > 0) {
    current = workflowView(context, decodeURIComponent(rest.join("/")));
  } else if (page === "queues") current = queuesView(context);
  else if (page === "executors") current = executorsView(context);
  else current = workflowsView(context, new URLSearchParams(hash.split("?")[1] ?? ""));
  void current.refresh();
}

/** Several notifications in a burst cause one refresh. */
function onChange(notification) {
  if (!current?.concerns || current.concerns(notification)) {
    clearTimeout(refreshTimer);
    refreshTimer = setTimeout(() => void current?.refresh(), 250);
  }
}

function setLive(state) {
  liveBadge.textContent = state === "live" ? "● live" : "○ offline (retrying)";
  liveBadge.className = `live ${state}`;
}

/**
 * Shows the confirmation dialog; resolves to the values of `fields` (inputs added to it) when
 * confirmed, or `undefined` when dismissed.
 */
function confirm({ title, text, action, fields = [] }) {
  const dialog = document.getElementById("confirm");
  replace(document.getElementById("confirm-title"), title);
  replace(document.getElementById("confirm-text"), text);
  replace(document.getElementById("confirm-extra"), ...fields.map((f) => f.element));
  replace(document.getElementById("confirm-ok"), action);
  dialog.returnValue = "";
  dialog.showModal();
  return new Promise((resolve) => {
    dialog.addEventListener(
      "close",
      () => resolve(dialog.returnValue === "ok" ? fields.map((f) => f.value()) : undefined),
      { once: true },
    );
  });
}

adoptTokenFromHash();
window.addEventListener("hashchange", route);
openLive(onChange, setLive);
route();
