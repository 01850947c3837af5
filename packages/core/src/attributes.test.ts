import { describe, expect, it } from "vitest";
import { MAX_ATTRIBUTES_BYTES, assertAttributes } from "./attributes.js";
import { InvalidOptionError } from "./errors.js";

/** The message `assertAttributes(value)` throws, or undefined when it accepts `value`. */
function problem(value: unknown): string | undefined {
  try {
    assertAttributes(value);
    return undefined;
  } catch (error) {
    expect(InvalidOptionError.is(error)).toBe(true);
    expect((error as InvalidOptionError).option).toBe("attributes");
    return (error as Error).message;
  }
}

describe("assertAttributes", () => {
  it("accepts plain JSON objects and returns them", () => {
    const attributes = {
      tenant: "acme",
      n: -1.5,
      ok: true,
      none: null,
      list: [1, "two", [3], { four: 4 }],
      nested: { deeper: { deepest: "🪨" } },
    };
    expect(assertAttributes(attributes)).toBe(attributes);
    expect(assertAttributes({})).toEqual({});
    expect(assertAttributes(Object.assign(Object.create(null) as object, { a: 1 }))).toEqual({
      a: 1,
    });
  });

  it("refuses what is not a plain object at the top", () => {
    expect(problem(null)).toMatch(/expected a plain JSON object, got null/);
    expect(problem(undefined)).toMatch(/got undefined/);
    expect(problem([1])).toMatch(/got an array/);
    expect(problem("tenant")).toMatch(/got a string/);
    expect(problem(new Map())).toMatch(/attributes is a Map, not a plain JSON object/);
    expect(problem(new (class Tags {})())).toMatch(/a Tags, not a plain JSON object/);
  });

  it("names the path of a value JSON cannot hold", () => {
    expect(problem({ at: new Date(0) })).toMatch(/attributes\.at is a Date, not a plain JSON/);
    expect(problem({ n: Number.NaN })).toMatch(/attributes\.n is NaN/);
    expect(problem({ n: Number.POSITIVE_INFINITY })).toMatch(/attributes\.n is Infinity/);
    expect(problem({ big: 1n })).toMatch(/attributes\.big is a bigint, which is not JSON/);
    expect(problem({ u: undefined })).toMatch(/attributes\.u is undefined, which is not JSON/);
    expect(problem({ f: () => 1 })).toMatch(/attributes\.f is a function/);
    expect(problem({ list: [1, { deep: Symbol("s") }] })).toMatch(
      /attributes\.list\[1\]\.deep is a symbol/,
    );
    expect(problem({ "odd key": { x: undefined } })).toMatch(
      /attributes\["odd key"\]\.x is undefined/,
    );
  });

  it("refuses cycles, NUL and lone surrogates, in keys and values", () => {
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    expect(problem(cyclic)).toMatch(/attributes\.self refers back to itself/);
    expect(problem({ s: "a\u0000b" })).toMatch(/attributes\.s contains a NUL/);
    expect(problem({ "k\u0000": 1 })).toMatch(/the key "k\\u0000" in attributes contains a NUL/);
    expect(problem({ s: "\uD800" })).toMatch(/attributes\.s contains a lone UTF-16 surrogate/);
    const shared = { x: 1 };
    expect(problem({ a: shared, b: shared, c: [shared, shared] })).toBeUndefined();
  });

  it(`refuses more than ${MAX_ATTRIBUTES_BYTES} bytes of JSON, counted in UTF-8`, () => {
    const overhead = JSON.stringify({ s: "" }).length;
    expect(problem({ s: "x".repeat(MAX_ATTRIBUTES_BYTES - overhead) })).toBeUndefined();
    expect(problem({ s: "x".repeat(MAX_ATTRIBUTES_BYTES - overhead + 1) })).toMatch(
      /16385 bytes of JSON is more than the maximum of 16384/,
    );
    const emoji = "🪨".repeat(Math.ceil(MAX_ATTRIBUTES_BYTES / 4)); // 4 bytes each in UTF-8
    expect(emoji.length).toBeLessThan(MAX_ATTRIBUTES_BYTES);
    expect(problem({ s: emoji })).toMatch(/bytes of JSON is more than the maximum/);
  });

  it("names the option it was given", () => {
    expect(() => assertAttributes([], "patch")).toThrow(/Invalid option patch/);
  });
});
