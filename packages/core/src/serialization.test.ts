import { describe, expect, it } from "vitest";
import { NonDeterminismError, SerializationError, ValidationError } from "./errors.js";
import { deserialize, serialize, serializeError } from "./serialization.js";

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
