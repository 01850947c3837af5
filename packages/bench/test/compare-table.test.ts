import { describe, expect, it } from "vitest";
import {
  advantage,
  formatAdvantage,
  formatTable,
  formatValue,
  median,
  summarize,
  type FigureDef,
  type Round,
} from "../src/compare/table.js";

describe("median", () => {
  it("takes the middle of an odd count and the mean of the middle two of an even one", () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([10, 1, 7, 4])).toBe(5.5);
    expect(median([0.57])).toBe(0.57);
    expect(median([])).toBeUndefined();
  });

  it("does not reorder its input", () => {
    const values = [3, 1, 2];
    median(values);
    expect(values).toEqual([3, 1, 2]);
  });
});

describe("advantage", () => {
  it("is peer over Cairn where lower is better, Cairn over peer where higher is better", () => {
    expect(advantage(0.5, 2, "lower")).toBe(4);
    expect(advantage(3000, 300, "higher")).toBe(10);
    expect(advantage(3500, 7000, "higher")).toBe(0.5);
  });

  it("has no value without both sides or with a zero", () => {
    expect(advantage(undefined, 2, "lower")).toBeUndefined();
    expect(advantage(1, undefined, "higher")).toBeUndefined();
    expect(advantage(0, 2, "lower")).toBeUndefined();
  });

  it("reads as ahead, behind or even", () => {
    expect(formatAdvantage(4)).toBe("4.0× ahead");
    expect(formatAdvantage(0.5)).toBe("2.0× behind");
    expect(formatAdvantage(1.01)).toBe("even");
    expect(formatAdvantage(undefined)).toBe("n/a");
  });
});

describe("formatValue", () => {
  it("keeps about three significant figures", () => {
    expect(formatValue(0.5712)).toBe("0.571");
    expect(formatValue(1.234)).toBe("1.23");
    expect(formatValue(12.34)).toBe("12.3");
    expect(formatValue(3480.4)).toBe("3,480");
  });
});

const FIGURES: FigureDef[] = [
  { key: "msPerStep", label: "ms per step", better: "lower" },
  { key: "drainPerSecond", label: "drain/s", better: "higher" },
];

describe("summarize and formatTable", () => {
  const rounds: Round[] = [
    { cairn: { msPerStep: 0.6, drainPerSecond: 3000 }, dbos: { msPerStep: 2.0 } },
    { cairn: { msPerStep: 0.5, drainPerSecond: 3600 }, dbos: { msPerStep: 1.8 } },
    { cairn: { msPerStep: 0.7 }, dbos: { msPerStep: 2.4 }, "pg-boss": { drainPerSecond: 7200 } },
  ];
  const summaries = summarize(FIGURES, ["cairn", "dbos", "pg-boss"], rounds);

  it("takes each system's median over the rounds that have the figure", () => {
    expect(summaries[0]?.medians).toEqual({ cairn: 0.6, dbos: 2.0 });
    expect(summaries[1]?.medians).toEqual({ cairn: 3300, "pg-boss": 7200 });
    expect(summaries[1]?.values).toEqual({ cairn: [3000, 3600], "pg-boss": [7200] });
  });

  it("prints medians, ranges, missing rounds, reasons for n/a and Cairn's ratio to each peer", () => {
    const table = formatTable(
      summaries,
      ["cairn", "dbos", "pg-boss"],
      { "pg-boss": { msPerStep: "no workflows" } },
      3,
    );
    expect(table.split("\n")).toEqual([
      "| figure | Cairn | DBOS | pg-boss | Cairn vs DBOS | Cairn vs pg-boss |",
      "| --- | --- | --- | --- | --- | --- |",
      "| ms per step (lower is better) | 0.600 (0.500–0.700) | 2.00 (1.80–2.40) | n/a (no workflows) | 3.3× ahead | n/a |",
      "| drain/s (higher is better) | 3,300 (3,000–3,600) (2 of 3 rounds) | n/a (no result) | 7,200 (1 of 3 rounds) | n/a | 2.2× behind |",
    ]);
  });
});
