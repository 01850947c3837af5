/**
 * The compare mode's arithmetic and its table: the median of each figure over the rounds, the
 * ratio of Cairn to each peer (turned so that above 1 always means Cairn is ahead), and a
 * Markdown table of both. Pure functions; the numbers come from the children.
 */
import type { FigureKey, SystemName } from "./protocol.js";

export type { FigureKey };

export interface FigureDef {
  readonly key: FigureKey;
  readonly label: string;
  readonly better: "lower" | "higher";
}

/** Figures per system per round; a figure is absent where the system has no such feature. */
export type Round = Partial<Record<SystemName, Partial<Record<FigureKey, number>>>>;

/** Why a system has no figure for a row ("no workflows"), shown instead of a number. */
export type Reasons = Partial<Record<SystemName, Partial<Record<FigureKey, string>>>>;

/** Median of `values` (the mean of the middle two for an even count); undefined when empty. */
export function median(values: readonly number[]): number | undefined {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  const upper = sorted[middle] as number;
  return sorted.length % 2 === 1 ? upper : ((sorted[middle - 1] as number) + upper) / 2;
}

/**
 * How far Cairn is ahead of a peer on a figure: peer ÷ Cairn where lower is better, Cairn ÷ peer
 * where higher is better. Above 1, Cairn is ahead. Undefined when either side has no value or a
 * zero makes the ratio meaningless.
 */
export function advantage(
  cairn: number | undefined,
  peer: number | undefined,
  better: "lower" | "higher",
): number | undefined {
  if (cairn === undefined || peer === undefined || cairn <= 0 || peer <= 0) return undefined;
  return better === "lower" ? peer / cairn : cairn / peer;
}

/** "3.2× ahead", "1.9× behind" (the peer is 1.9 times better), "even" within 2%. */
export function formatAdvantage(ratio: number | undefined): string {
  if (ratio === undefined) return "n/a";
  if (Math.abs(ratio - 1) < 0.02) return "even";
  return ratio > 1 ? `${ratio.toFixed(1)}× ahead` : `${(1 / ratio).toFixed(1)}× behind`;
}

/** Three significant figures, thousands separated: 0.571, 12.3, 3,480. */
export function formatValue(value: number): string {
  if (value >= 100) return Math.round(value).toLocaleString("en-US");
  if (value >= 10) return value.toFixed(1);
  if (value >= 1) return value.toFixed(2);
  return value.toFixed(3);
}

export interface Summary {
  readonly key: FigureKey;
  readonly label: string;
  readonly better: "lower" | "higher";
  /** Median per system over the rounds that produced the figure. */
  readonly medians: Partial<Record<SystemName, number>>;
  /** Every round's value per system, in round order. */
  readonly values: Partial<Record<SystemName, readonly number[]>>;
}

/** The median of each figure per system over `rounds`. */
export function summarize(
  figures: readonly FigureDef[],
  systems: readonly SystemName[],
  rounds: readonly Round[],
): Summary[] {
  return figures.map(({ key, label, better }) => {
    const medians: Partial<Record<SystemName, number>> = {};
    const values: Partial<Record<SystemName, number[]>> = {};
    for (const system of systems) {
      const seen = rounds
        .map((round) => round[system]?.[key])
        .filter((x): x is number => x !== undefined && Number.isFinite(x));
      if (seen.length === 0) continue;
      values[system] = seen;
      medians[system] = median(seen) as number; // seen is not empty
    }
    return { key, label, better, medians, values };
  });
}

const TITLES: Record<SystemName, string> = { cairn: "Cairn", dbos: "DBOS", "pg-boss": "pg-boss" };

/**
 * A Markdown table: one row per figure, a column per system (median, the range over the rounds,
 * and the number of rounds behind it when some failed), then "Cairn vs <peer>" for each peer.
 */
export function formatTable(
  summaries: readonly Summary[],
  systems: readonly SystemName[],
  reasons: Reasons,
  rounds: number,
): string {
  const peers = systems.filter((system) => system !== "cairn");
  const withCairn = systems.includes("cairn");
  const header = [
    "figure",
    ...systems.map((system) => TITLES[system]),
    ...(withCairn ? peers.map((peer) => `Cairn vs ${TITLES[peer]}`) : []),
  ];
  const rows = summaries.map((summary) => {
    const cells = systems.map((system) => {
      const value = summary.medians[system];
      if (value === undefined) return `n/a (${reasons[system]?.[summary.key] ?? "no result"})`;
      const seen = summary.values[system] ?? [];
      const range =
        seen.length > 1
          ? ` (${formatValue(Math.min(...seen))}–${formatValue(Math.max(...seen))})`
          : "";
      const partial = seen.length < rounds ? ` (${seen.length} of ${rounds} rounds)` : "";
      return `${formatValue(value)}${range}${partial}`;
    });
    const ratios = withCairn
      ? peers.map((peer) =>
          formatAdvantage(advantage(summary.medians.cairn, summary.medians[peer], summary.better)),
        )
      : [];
    const direction = summary.better === "lower" ? "lower is better" : "higher is better";
    return [`${summary.label} (${direction})`, ...cells, ...ratios];
  });
  const line = (cells: readonly string[]) => `| ${cells.join(" | ")} |`;
  return [line(header), line(header.map(() => "---")), ...rows.map(line)].join("\n");
}
