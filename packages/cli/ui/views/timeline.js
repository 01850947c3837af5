/**
 * The step timeline of a workflow as a Gantt chart: one row per checkpoint, a bar placed on the
 * workflow's time axis from the step's start to its end, wider for longer steps; failed steps in
 * red with their error, retried ones marked with their attempt count.
 */
import { duration, h, summary, workflowLink } from "../dom.js";

export function timeline(steps, createdAt, finishedAt) {
  if (steps.length === 0) return h("p", { class: "empty" }, "No steps recorded yet.");
  const origin = Date.parse(createdAt);
  const end = Math.max(
    origin + 1,
    finishedAt ? Date.parse(finishedAt) : 0,
    ...steps.map((s) => Date.parse(s.completedAt)),
  );
  const span = end - origin;
  const pct = (ms) => `${Math.min(100, Math.max(0, (ms / span) * 100)).toFixed(2)}%`;
  return h(
    "div",
    { class: "gantt", role: "table", "aria-label": "Step timeline" },
    h(
      "div",
      { class: "gantt-row head", role: "row" },
      ["#", "Step", "Start", "Duration", "Attempts", "Timeline", "Result"].map((t) =>
        h("span", { role: "columnheader" }, t),
      ),
    ),
    steps.map((s) => {
      const start = Date.parse(s.startedAt) - origin;
      const failed = s.error !== null;
      const result = failed
        ? h("span", { class: "bad" }, errorText(s.error))
        : s.childWorkflowId
          ? ["child ", workflowLink(s.childWorkflowId)]
          : h("span", { class: "mono" }, summary(s.output, 60));
      return h(
        "div",
        { class: `gantt-row${failed ? " failed" : ""}`, role: "row", dataset: { step: s.name } },
        h("span", { class: "num" }, s.position),
        h("span", { class: "mono" }, s.name),
        h("span", { class: "num" }, `+${duration(start)}`),
        h("span", { class: "num" }, duration(s.durationMs)),
        h("span", { class: s.attempts > 1 ? "num warn" : "num" }, s.attempts),
        h("span", { class: "track" }, bar(pct(start), pct(s.durationMs), s)),
        result,
      );
    }),
  );
}

/** `Name: message` of a recorded error. */
export function errorText(error) {
  if (error && typeof error === "object" && "message" in error) {
    return `${error.name ?? "Error"}: ${error.message}`;
  }
  return summary(error, 120);
}

/**
 * A bar positioned through the CSSOM: the CSP forbids inline `style` attributes, not styles set
 * from a script served by this origin.
 */
function bar(left, width, step) {
  const element = h("span", {
    class: "bar",
    title: `${step.name}: ${duration(step.durationMs)}, ${step.attempts} attempt(s)`,
  });
  element.style.left = left;
  element.style.width = `max(2px, ${width})`;
  return element;
}
