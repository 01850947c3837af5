import { describe, expect, it } from "vitest";
import {
  DeserializationError,
  InvalidOptionError,
  NonDeterminismError,
  SerializationError,
  ValidationError,
} from "./errors.js";
import { createSerializer, deserialize, serialize, serializeError } from "./serialization.js";

const roundTrip = <T>(value: T): T => deserialize<T>(serialize(value, "test value"));

describe("serialization", () => {
  it("round-trips Date, Map, Set, BigInt, undefined, typed arrays and cycles", () => {
    const value: Record<string, unknown> = {
      date: new Date("2026-11-21T10:00:00Z"),
      map: new Map<unknown, unknown>([[{ k: 1 }, "object key"]]),
      set: new Set([1, "two"]),
      big: 2n ** 70n,
      missing: undefined,
      floats: new Float64Array([0.5, -0]),
    };
    value.loop = value;
    const back = roundTrip(value);
    expect(back.date).toEqual(value.date);
    expect(back.map).toEqual(value.map);
    expect(back.set).toEqual(value.set);
    expect(back.big).toBe(2n ** 70n);
    expect(Object.keys(back)).toContain("missing");
    expect(back.floats).toEqual(value.floats);
    expect(back.loop).toBe(back);
  });

  it("keeps object key order byte for byte", () => {
    expect(Object.keys(roundTrip({ zeta: 1, alpha: 2, m: 3 }))).toEqual(["zeta", "alpha", "m"]);
  });

  it("round-trips errors with name, message, stack, cause and own fields", () => {
    const cause = new TypeError("socket closed");
    const error = Object.assign(new Error("charge failed", { cause }), {
      code: "E_PSP",
      retryAfterMs: 30,
    });
    const back = roundTrip(error);
    expect(back).toBeInstanceOf(Error);
    expect(back).toMatchObject({
      name: "Error",
      message: "charge failed",
      code: "E_PSP",
      retryAfterMs: 30,
    });
    expect(back.stack).toBe(error.stack);
    expect(back.cause).toBeInstanceOf(TypeError);
    expect((back.cause as Error).message).toBe("socket closed");
  });

  it("revives custom error names and Cairn's own error classes", () => {
    class PaymentDeclinedError extends Error {
      override name = "PaymentDeclinedError";
    }
    expect(roundTrip(new PaymentDeclinedError("no funds"))).toMatchObject({
      name: "PaymentDeclinedError",
      message: "no funds",
    });
    const nd = roundTrip(
      new NonDeterminismError({ workflowId: "w", position: 2, recordedName: "a", calledName: "b" }),
    );
    expect(nd).toBeInstanceOf(NonDeterminismError);
    expect(NonDeterminismError.is(nd)).toBe(true);
    expect(nd).toMatchObject({ position: 2, recordedName: "a", calledName: "b" });
    const validation = roundTrip(new ValidationError("input", [{ path: ["x"], message: "bad" }]));
    expect(validation.issues[0]?.path).toEqual(["x"]);
  });

  it("names the subject and the path of a value it cannot encode", () => {
    expect(() =>
      serialize({ order: { notify: () => undefined } }, 'output of step "charge"'),
    ).toThrow(
      expect.objectContaining({
        name: "SerializationError",
        path: ".order.notify",
        message: expect.stringContaining('output of step "charge"') as unknown,
      }) as Error,
    );
    expect(() => serialize(new (class Point {})(), "input")).toThrow(SerializationError);
  });

  it("keeps an error's name and message when one of its fields cannot be encoded", () => {
    const error = Object.assign(new RangeError("too big"), {
      request: { send: () => undefined },
      status: 413,
    });
    const back = deserialize<RangeError & { status: number; request: unknown }>(
      serializeError(error, "e"),
    );
    expect(back).toBeInstanceOf(RangeError);
    expect(back).toMatchObject({
      message: "too big",
      status: 413,
      request: "[unserializable object]",
    });
  });
});

class Celsius {
  readonly degrees: number;
  constructor(degrees: number) {
    this.degrees = degrees;
  }
}
const celsius = {
  is: (value: unknown) => value instanceof Celsius,
  encode: (value: Celsius) => value.degrees,
  decode: (degrees: number) => new Celsius(degrees),
};
const reversing = {
  encode: (t: string) => [...t].reverse().join(""),
  decode: (t: string) => [...t].reverse().join(""),
};

describe("createSerializer", () => {
  it("round-trips a registered type, even one that encodes to a falsy value", () => {
    const serializer = createSerializer({ types: { Celsius: celsius } });
    const value = { zero: new Celsius(0), list: [new Celsius(-4)], at: new Date(0) };
    const back = serializer.deserialize<typeof value>(serializer.serialize(value, "t"));
    expect(back.zero).toBeInstanceOf(Celsius);
    expect(back).toEqual(value);
  });

  it("writes the same text as the default serializer when no registered type is present", () => {
    const serializer = createSerializer({ types: { Celsius: celsius } });
    const value = { a: [1, "two", new Map([[1, 2n]])], e: new TypeError("bad") };
    expect(serializer.serialize(value, "t")).toBe(serialize(value, "t"));
  });

  it("refuses a reserved or malformed type name with InvalidOptionError", () => {
    for (const name of ["Error", "Date", "Temporal.Instant", "has space", 'q"uote']) {
      expect(() => createSerializer({ types: { [name]: celsius } })).toThrow(InvalidOptionError);
    }
    const broken = { is: () => true, encode: (v: unknown) => v } as unknown as typeof celsius;
    expect(() => createSerializer({ types: { Broken: broken } })).toThrow(/decode/);
  });

  it("names the unregistered type at decode, and the class to register at encode", () => {
    const text = createSerializer({ types: { Celsius: celsius } }).serialize(new Celsius(3), "t");
    const failure = (() => {
      try {
        return deserialize(text);
      } catch (error) {
        return error;
      }
    })();
    expect(failure).toBeInstanceOf(DeserializationError);
    expect(failure).toMatchObject({ reason: "unknown-type", typeName: "Celsius" });
    expect(() => serialize({ t: new Celsius(1) }, "output of step")).toThrow(
      /at \.t: .*a Celsius: register it in serialization\.types/,
    );
  });

  it("applies the codec to every value and still reads text written before it", () => {
    const serializer = createSerializer({ codec: reversing });
    const text = serializer.serialize({ secret: "plain" }, "t");
    expect(text.startsWith("~")).toBe(true);
    expect(text).not.toContain("plain");
    expect(serializer.deserialize(text)).toEqual({ secret: "plain" });
    expect(serializer.deserialize(serialize({ old: 1 }, "t"))).toEqual({ old: 1 });
    expect(() => deserialize(text)).toThrow(DeserializationError);
  });

  it("describes what it cannot decode when undecodable is describe", () => {
    const writer = createSerializer({ types: { Celsius: celsius }, codec: reversing });
    const plainWriter = createSerializer({ types: { Celsius: celsius } });
    const display = createSerializer({ undecodable: "describe" });
    expect(display.deserialize(writer.serialize(1, "t"))).toBe("[encoded]");
    const value = { t: new Celsius(1), n: 2 };
    expect(display.deserialize(plainWriter.serialize(value, "t"))).toEqual({
      t: "[Celsius]",
      n: 2,
    });
  });
});
