/**
 * Aligned text tables for human output: a header row, columns padded to their widest cell
 * (colour codes do not count), numbers right-aligned. No borders, so output greps and cuts well.
 */
import { visibleWidth, type Style } from "./style.js";

/** A column: its header and whether its cells align right (numbers). */
export interface Column {
  readonly header: string;
  readonly align?: "left" | "right";
}

/** Renders `rows` under `columns`; an empty table renders as `empty` (e.g. "no workflows"). */
export function renderTable(
  columns: readonly Column[],
  rows: readonly (readonly string[])[],
  style: Style,
  empty: string,
): string {
  if (rows.length === 0) return style.dim(empty);
  const widths = columns.map((column, i) =>
    Math.max(visibleWidth(column.header), ...rows.map((row) => visibleWidth(row[i] ?? ""))),
  );
  const line = (cells: readonly string[]) =>
    columns
      .map((column, i) => pad(cells[i] ?? "", widths[i] ?? 0, column.align ?? "left"))
      .join("  ")
      .trimEnd();
  const header = style.bold(line(columns.map((c) => c.header)));
  return [header, ...rows.map(line)].join("\n");
}

function pad(text: string, width: number, align: "left" | "right"): string {
  const fill = " ".repeat(Math.max(0, width - visibleWidth(text)));
  return align === "right" ? fill + text : text + fill;
}
