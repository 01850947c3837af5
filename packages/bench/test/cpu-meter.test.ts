import { describe, expect, it } from "vitest";
import { schedstatNs, serverNsBetween } from "../src/compare/cpu-meter.js";

describe("schedstatNs", () => {
  it("reads the nanoseconds on the CPU, the first of schedstat's three fields", () => {
    expect(schedstatNs("179451363 18877301 387\n")).toBe(179_451_363);
  });

  it("has no value for text that is not schedstat's", () => {
    expect(schedstatNs("")).toBeUndefined();
    expect(schedstatNs("n/a 1 2")).toBeUndefined();
  });
});

describe("serverNsBetween", () => {
  it("sums each backend's CPU between the readings", () => {
    const before = new Map([
      [10, 1_000],
      [11, 5_000],
    ]);
    const after = new Map([
      [10, 4_000],
      [11, 5_500],
    ]);
    expect(serverNsBetween(before, after)).toBe(3_500);
  });

  it("counts a backend that connected in between from zero and leaves out one that left", () => {
    const before = new Map([
      [10, 1_000],
      [12, 9_000],
    ]);
    const after = new Map([
      [10, 2_000],
      [13, 700],
    ]);
    expect(serverNsBetween(before, after)).toBe(1_700);
  });

  it("has no value when no backend's CPU could be read (a server elsewhere)", () => {
    const unread = new Map<number, number | undefined>([[10, undefined]]);
    expect(serverNsBetween(unread, unread)).toBeUndefined();
    expect(serverNsBetween(new Map(), new Map())).toBeUndefined();
  });

  it("skips a backend read at one end only", () => {
    const before = new Map<number, number | undefined>([
      [10, undefined],
      [11, 100],
    ]);
    const after = new Map<number, number | undefined>([
      [10, 5_000],
      [11, 300],
    ]);
    expect(serverNsBetween(before, after)).toBe(200);
  });
});
