import { describe, expect, it } from "vitest";
import { CronExpressionInvalidError, nextTick, parseCron } from "../src/index.js";

const at = (iso: string) => Date.parse(iso);
const iso = (ms: number) => new Date(ms).toISOString();

/** The next `count` ticks after `from`. */
function ticks(expression: string, from: string, count: number, timeZone = "UTC"): string[] {
  const fields = parseCron(expression);
  const out: string[] = [];
  let cursor = at(from);
  for (let i = 0; i < count; i++) {
    cursor = nextTick(fields, cursor, timeZone);
    out.push(iso(cursor));
  }
  return out;
}

describe("parseCron", () => {
  it("expands lists, ranges, steps and stars into sorted values", () => {
    const fields = parseCron("*/15 9-17/4 1,15,31 */3 1-5");
    expect(fields.minutes).toEqual([0, 15, 30, 45]);
    expect(fields.hours).toEqual([9, 13, 17]);
    expect(fields.daysOfMonth).toEqual([1, 15, 31]);
    expect(fields.months).toEqual([1, 4, 7, 10]);
    expect(fields.daysOfWeek).toEqual([1, 2, 3, 4, 5]);
  });

  it("reads month and weekday names in any case, and 7 as Sunday", () => {
    const fields = parseCron("0 0 * jan,Mar-may sun,7,SAT");
    expect(fields.months).toEqual([1, 3, 4, 5]);
    expect(fields.daysOfWeek).toEqual([0, 6]);
  });

  it("treats a/n as a, a+n, ... up to the field's maximum", () => {
    expect(parseCron("5/20 * * * *").minutes).toEqual([5, 25, 45]);
  });

  it("knows the @ macros", () => {
    expect(parseCron("@daily")).toMatchObject({ minutes: [0], hours: [0] });
    expect(parseCron("@hourly").hours).toHaveLength(24);
    expect(parseCron("@weekly").daysOfWeek).toEqual([0]);
  });

  it.each([
    ["* * * *", /5 fields/],
    ["60 * * * *", /minute field "60": 60 is outside 0-59/],
    ["* 24 * * *", /hour field/],
    ["* * 0 * *", /day of month field/],
    ["* * * 13 *", /month field/],
    ["* * * * 8", /day of week field/],
    ["*/0 * * * *", /step must be at least 1/],
    ["5-1 * * * *", /runs backwards/],
    ["a * * * *", /"a" is not a number/],
    ["1-2-3 * * * *", /more than one '-'/],
  ])("rejects %s with a typed error naming the field", (expression, message) => {
    let error: unknown;
    try {
      parseCron(expression);
    } catch (e) {
      error = e;
    }
    expect(CronExpressionInvalidError.is(error)).toBe(true);
    expect((error as Error).message).toMatch(message);
  });
});

describe("nextTick", () => {
  it("returns the next whole minute strictly after the given time", () => {
    expect(ticks("* * * * *", "2026-03-01T10:00:00.000Z", 2)).toEqual([
      "2026-03-01T10:01:00.000Z",
      "2026-03-01T10:02:00.000Z",
    ]);
    expect(ticks("* * * * *", "2026-03-01T10:00:30.000Z", 1)).toEqual(["2026-03-01T10:01:00.000Z"]);
  });

  it("walks hours, days, months and years", () => {
    expect(ticks("30 2 * * *", "2026-12-31T03:00:00Z", 2)).toEqual([
      "2027-01-01T02:30:00.000Z",
      "2027-01-02T02:30:00.000Z",
    ]);
    expect(ticks("0 0 1 */6 *", "2026-02-10T00:00:00Z", 3)).toEqual([
      "2026-07-01T00:00:00.000Z",
      "2027-01-01T00:00:00.000Z",
      "2027-07-01T00:00:00.000Z",
    ]);
  });

  it("finds 29 February", () => {
    expect(ticks("0 12 29 2 *", "2026-01-01T00:00:00Z", 2)).toEqual([
      "2028-02-29T12:00:00.000Z",
      "2032-02-29T12:00:00.000Z",
    ]);
  });

  it("fires on either day field when both are restricted, like classic cron", () => {
    // The 13th of the month, or any Friday.
    expect(ticks("0 0 13 * 5", "2026-02-01T00:00:00Z", 4)).toEqual([
      "2026-02-06T00:00:00.000Z",
      "2026-02-13T00:00:00.000Z",
      "2026-02-20T00:00:00.000Z",
      "2026-02-27T00:00:00.000Z",
    ]);
  });

  it("reads the fields in the schedule's time zone", () => {
    // 02:00 in Paris is 01:00 UTC in winter, 00:00 UTC in summer.
    expect(ticks("0 2 * * *", "2026-01-10T12:00:00Z", 1, "Europe/Paris")).toEqual([
      "2026-01-11T01:00:00.000Z",
    ]);
    expect(ticks("0 2 * * *", "2026-07-10T12:00:00Z", 1, "Europe/Paris")).toEqual([
      "2026-07-11T00:00:00.000Z",
    ]);
    expect(ticks("0 9 * * 1", "2026-03-04T00:00:00Z", 1, "Asia/Kolkata")).toEqual([
      "2026-03-09T03:30:00.000Z",
    ]);
  });

  it("skips a wall time that does not exist when clocks go forward", () => {
    // New York springs forward on 8 March 2026: 02:30 does not exist that day.
    expect(ticks("30 2 * * *", "2026-03-07T12:00:00Z", 2, "America/New_York")).toEqual([
      "2026-03-09T06:30:00.000Z",
      "2026-03-10T06:30:00.000Z",
    ]);
  });

  it("fires a repeated wall time once, at its first occurrence, when clocks go back", () => {
    // New York falls back on 1 November 2026: 01:30 happens at 05:30 and 06:30 UTC.
    expect(ticks("30 1 * * *", "2026-10-31T12:00:00Z", 2, "America/New_York")).toEqual([
      "2026-11-01T05:30:00.000Z",
      "2026-11-02T06:30:00.000Z",
    ]);
  });

  it("rejects an expression that never fires and an unknown time zone", () => {
    expect(() => nextTick(parseCron("0 0 31 2 *"), Date.now())).toThrow(/never fires/);
    expect(() => nextTick(parseCron("* * * * *"), Date.now(), "Mars/Olympus")).toThrow(
      CronExpressionInvalidError,
    );
  });
});
