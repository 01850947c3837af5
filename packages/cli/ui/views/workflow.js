/**
 * One workflow's page: status and timings, cancel / resume / fork behind a confirmation, input,
 * output or error, the step timeline, children as a tree, messages, events and streams (values
 * loaded on demand). It refreshes when a notification concerns this workflow or one of its
 * children, and every few seconds while it runs (steps do not notify).
 */
import { get, post } from "../api.js";
import {
  ago,
  badge,
  duration,
  h,
  jsonBlock,
  replace,
  summary,
  table,
  workflowLink,
} from "../dom.js";
import { errorText, timeline } from "./timeline.js";

const FINAL = new Set(["SUCCESS", "ERROR", "CANCELLED", "DEAD_LETTER"]);
const RESUMABLE = new Set(["CANCELLED", "ERROR", "DEAD_LETTER"]);

export function workflowView({ root, confirm, navigate }, workflowId) {
  let known = new Set([workflowId]);
  let timer;
  const notice = h("div", { class: "notice", role: "status" });

  async function refresh() {
    clearTimeout(timer);
    try {
      const data = await get(`workflows/${encodeURIComponent(workflowId)}`);
      known = new Set([workflowId, ...ids(data.children)]);
      replace(root, notice, ...render(data));
      if (!FINAL.has(data.workflow.status)) timer = setTimeout(() => void refresh(), 5_000);
    } catch (error) {
      replace(root, h("h1", {}, workflowId), h("p", { class: "error" }, error.message));
    }
  }

  async function act(kind, request) {
    try {
      const result = await request();
      replace(notice, h("p", { class: "ok" }, describe(kind, result)));
      if (kind === "fork") navigate(`#/workflow/${encodeURIComponent(result.workflowId)}`);
      else await refresh();
    } catch (error) {
      replace(notice, h("p", { class: "error" }, `${kind} failed: ${error.message}`));
    }
  }

  function actions(w, steps) {
    const path = `workflows/${encodeURIComponent(workflowId)}`;
    const cancel = async () => {
      const ok = await confirm({
        title: "Cancel this workflow?",
        text: `${workflowId} and its running children stop; a running step's signal fires.`,
        action: "Cancel workflow",
      });
      if (ok) await act("cancel", () => post(`${path}/cancel`));
    };
    const resume = async () => {
      const ok = await confirm({
        title: "Resume this workflow?",
        text: `${workflowId} runs again from its last completed step on a live engine.`,
        action: "Resume workflow",
      });
      if (ok) await act("resume", () => post(`${path}/resume`));
    };
    const fork = async () => {
      const input = h("input", {
        type: "number",
        min: 0,
        max: steps.length,
        value: 0,
        name: "fromStep",
      });
      const values = await confirm({
        title: "Fork this workflow?",
        text: "A new workflow keeps the checkpoints before the chosen position and runs the rest.",
        action: "Fork",
        fields: [
          { element: h("label", {}, "From step ", input), value: () => Number(input.value) },
        ],
      });
      if (values) await act("fork", () => post(`${path}/fork`, { fromStep: values[0] }));
    };
    return h(
      "div",
      { class: "actions" },
      !FINAL.has(w.status) && h("button", { class: "danger", onclick: cancel }, "Cancel…"),
      RESUMABLE.has(w.status) && h("button", { onclick: resume }, "Resume…"),
      h("button", { onclick: fork }, "Fork…"),
    );
  }

  function render({ workflow: w, steps, children, messages, events, streams }) {
    const finished = FINAL.has(w.status);
    const took = (finished ? Date.parse(w.updatedAt) : Date.now()) - Date.parse(w.createdAt);
    const facts = [
      ["Status", badge(w.status)],
      ["Name", w.name],
      ["Executor", h("span", { class: "mono" }, w.executorId)],
      ["Created", ago(w.createdAt)],
      [finished ? "Finished" : "Updated", ago(w.updatedAt)],
      [finished ? "Took" : "Running for", duration(took)],
      w.queueName && ["Queue", w.queueName],
      w.parentWorkflowId && ["Parent", workflowLink(w.parentWorkflowId)],
      w.forkedFrom && ["Forked from", workflowLink(w.forkedFrom)],
      w.appVersion && ["App version", w.appVersion],
      w.deadlineAt && ["Deadline", ago(w.deadlineAt)],
      w.recoveryAttempts > 0 && ["Recoveries", w.recoveryAttempts],
    ].filter(Boolean);
    return [
      h("h1", {}, h("span", { class: "mono" }, w.workflowId), " ", badge(w.status)),
      actions(w, steps),
      h(
        "dl",
        { class: "facts" },
        facts.map(([k, v]) => [h("dt", {}, k), h("dd", {}, v)]),
      ),
      section("Input", jsonBlock(w.input)),
      w.status === "SUCCESS" && section("Output", jsonBlock(w.output)),
      w.error !== null &&
        section("Error", h("div", { class: "error-box" }, errorText(w.error), jsonBlock(w.error))),
      section(
        `Steps (${steps.length})`,
        timeline(steps, w.createdAt, finished ? w.updatedAt : new Date().toISOString()),
      ),
      section(
        `Children (${count(children)})`,
        children.length ? tree(children) : h("p", { class: "empty" }, "No children."),
      ),
      section(
        `Messages (${messages.length})`,
        table(
          ["Topic", "Sent", "State", "Message"],
          messages.map((m) => [
            m.topic,
            ago(m.sentAt),
            m.consumedAt ? "received" : h("span", { class: "warn" }, "waiting"),
            h("span", { class: "mono" }, summary(m.message)),
          ]),
          "No messages.",
        ),
      ),
      section(
        `Events (${events.length})`,
        table(
          ["Key", "Updated", "Value"],
          events.map((e) => [
            e.key,
            ago(e.updatedAt),
            h("span", { class: "mono" }, summary(e.value)),
          ]),
          "No events.",
        ),
      ),
      section(
        `Streams (${streams.length})`,
        table(
          ["Key", "Values", "State", ""],
          streams.map((s) => [s.key, s.entries, s.closed ? "closed" : "open", streamButton(s.key)]),
          "No streams.",
        ),
      ),
    ];
  }

  function streamButton(key) {
    const out = h("div", { class: "stream-values" });
    const button = h(
      "button",
      {
        onclick: async () => {
          const { values } = await get(
            `workflows/${encodeURIComponent(workflowId)}/streams/${encodeURIComponent(key)}`,
          );
          replace(
            out,
            table(
              ["#", "Value"],
              values.map((v) => [v.offset, h("span", { class: "mono" }, summary(v.value, 200))]),
              "Empty.",
            ),
          );
        },
      },
      "Show values",
    );
    return h("span", {}, button, out);
  }

  return {
    refresh,
    concerns: (n) => known.has(n.workflowId),
    dispose: () => clearTimeout(timer),
  };
}

const section = (title, ...content) => h("section", {}, h("h2", {}, title), ...content);

function tree(nodes) {
  return h(
    "ul",
    { class: "tree" },
    nodes.map((n) =>
      h(
        "li",
        {},
        workflowLink(n.workflowId),
        " ",
        h("span", { class: "dim" }, n.name),
        " ",
        badge(n.status),
        n.children.length > 0 && tree(n.children),
      ),
    ),
  );
}

const ids = (nodes) => nodes.flatMap((n) => [n.workflowId, ...ids(n.children)]);
const count = (nodes) => ids(nodes).length;

function describe(kind, result) {
  if (kind === "cancel")
    return result.cancelled.length
      ? `Cancelled ${result.cancelled.join(", ")}.`
      : "Nothing to cancel.";
  if (kind === "resume")
    return result.resumed ? `Resumed: now ${result.status}.` : "Nothing to resume.";
  return `Forked as ${result.workflowId}.`;
}
