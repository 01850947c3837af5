/**
 * A workflow's checkpoints as a timeline for the terminal: position, name, when it started
 * relative to the workflow, how long it took, attempts, and a bar that places it on the
 * workflow's time axis (a text Gantt chart), errors in red.
 */
import type { StepInfo } from "@cairn/core";
import type { Style } from "../output/style.js";
import { renderTable } from "../output/table.js";
import { formatDuration } from "../output/time.js";
import { summarize } from "../output/values.js";

const BAR_WIDTH = 24;

/** Renders the steps; `origin` is the workflow's creation time (epoch ms). */
export function renderTimeline(steps: readonly StepInfo[], origin: number, style: Style): string {
  const end = Math.max(origin + 1, ...steps.map((s) => s.completedAt.getTime()));
  const span = end - origin;
  return renderTable(
    [
      { header: "#", align: "right" },
      { header: "STEP" },
      { header: "START", align: "right" },
      { header: "DURATION", align: "right" },
      { header: "TRIES", align: "right" },
      { header: "TIMELINE" },
      { header: "RESULT" },
    ],
    steps.map((s) => {
      const start = s.startedAt.getTime() - origin;
      const duration = s.completedAt.getTime() - s.startedAt.getTime();
      const failed = s.error !== undefined;
      const bar = timelineBar(start / span, duration / span);
      return [
        String(s.position),
        s.name,
        `+${formatDuration(start)}`,
        formatDuration(duration),
        s.attempts > 1 ? style.yellow(String(s.attempts)) : String(s.attempts),
        failed ? style.red(bar) : style.blue(bar),
        failed
          ? style.red(summarize(s.error, 50))
          : s.childWorkflowId
            ? `child ${s.childWorkflowId}`
            : summarize(s.output, 50),
      ];
    }),
    style,
    "no steps recorded yet",
  );
}

/** `   ████      `: a bar from `from` for `length`, both fractions of the width. */
function timelineBar(from: number, length: number): string {
  const start = Math.min(BAR_WIDTH - 1, Math.max(0, Math.floor(from * BAR_WIDTH)));
  const size = Math.max(1, Math.min(BAR_WIDTH - start, Math.round(length * BAR_WIDTH)));
  return " ".repeat(start) + "█".repeat(size) + " ".repeat(BAR_WIDTH - start - size);
}
