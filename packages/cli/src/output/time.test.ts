import { describe, expect, it } from "vitest";
import { formatDuration, formatRelative, parseMoment } from "./time.js";

describe("times for humans", () => {
  it("formats durations in one or two units", () => {
    expect(formatDuration(850)).toBe("850ms");
    expect(formatDuration(1_234)).toBe("1.2s");
    expect(formatDuration(42_000)).toBe("42s");
    expect(formatDuration(250_000)).toBe("4m 10s");
    expect(formatDuration(3 * 3_600_000 + 5 * 60_000)).toBe("3h 05m");
    expect(formatDuration(2 * 86_400_000 + 4 * 3_600_000)).toBe("2d 04h");
  });

  it("formats times relative to now, past and future", () => {
    const now = 1_000_000_000;
    expect(formatRelative(now - 500, now)).toBe("just now");
    expect(formatRelative(now - 12_000, now)).toBe("12s ago");
    expect(formatRelative(now - 3 * 60_000, now)).toBe("3m ago");
    expect(formatRelative(now + 2 * 3_600_000, now)).toBe("in 2h");
  });

  it("reads a duration ago or a date, and nothing else", () => {
    const now = Date.parse("2026-11-29T20:00:00Z");
    expect(parseMoment("2h", now)).toBe(now - 7_200_000);
    expect(parseMoment("90s", now)).toBe(now - 90_000);
    expect(parseMoment("2026-11-28", now)).toBe(Date.parse("2026-11-28"));
    expect(parseMoment("yesterday", now)).toBeUndefined();
    expect(parseMoment("12", now)).toBeUndefined();
  });
});
