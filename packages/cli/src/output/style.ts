/**
 * Colour for human output, on only when stdout is a terminal (and `NO_COLOR` is unset, and
 * `--no-color` not given). Statuses get one colour each so a table of workflows reads at a glance.
 */
import type { WorkflowStatus } from "@cairn/core";

/** Wraps text in ANSI colours, or leaves it alone when colour is off. */
export interface Style {
  readonly enabled: boolean;
  bold(text: string): string;
  dim(text: string): string;
  red(text: string): string;
  green(text: string): string;
  yellow(text: string): string;
  blue(text: string): string;
  status(status: string): string;
}

const wrap = (enabled: boolean, open: number, close: number) => (text: string) =>
  enabled ? `\u001b[${open}m${text}\u001b[${close}m` : text;

/** Decides whether to colour: a TTY, no `NO_COLOR`, and not disabled on the command line. */
export function shouldColor(stream: { isTTY?: boolean }, disabled: boolean): boolean {
  const noColor = process.env["NO_COLOR"];
  return stream.isTTY === true && !disabled && (noColor === undefined || noColor === "");
}

export function createStyle(enabled: boolean): Style {
  const red = wrap(enabled, 31, 39);
  const green = wrap(enabled, 32, 39);
  const yellow = wrap(enabled, 33, 39);
  const blue = wrap(enabled, 34, 39);
  const dim = wrap(enabled, 2, 22);
  const byStatus: Record<WorkflowStatus, (text: string) => string> = {
    SUCCESS: green,
    ERROR: red,
    DEAD_LETTER: red,
    CANCELLED: yellow,
    PENDING: blue,
    ENQUEUED: dim,
  };
  return {
    enabled,
    bold: wrap(enabled, 1, 22),
    dim,
    red,
    green,
    yellow,
    blue,
    status: (status) => (byStatus[status as WorkflowStatus] ?? ((t: string) => t))(status),
  };
}

/** The visible width of text that may hold ANSI colour codes. */
export function visibleWidth(text: string): number {
  // eslint-disable-next-line no-control-regex
  return text.replace(/\u001b\[[0-9;]*m/g, "").length;
}
