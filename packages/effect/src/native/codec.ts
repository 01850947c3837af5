/**
 * How Effect values cross Cairn's checkpoint boundary. A success is encoded with its Effect
 * `Schema` (as JSON, through `Schema.toCodecJson`) when one is given, else stored as is by core's
 * serializer. A failure is a whole `Cause`: each typed failure is encoded with the error schema,
 * defects and interruptions are kept apart, and the lot travels inside one {@link EffectFailure}
 * that core records like any other error. Decoding gives back the same `Cause` — a
 * `Schema.TaggedError` comes back as an instance of its class — so code after a replay sees
 * exactly what code before the crash saw. This module does not touch the store.
 */
import { serialize } from "@cairn/core";
import { Cause, Schema } from "effect";

/** A schema able to carry a value of type `A` to JSON and back, with no service requirements. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type ValueSchema<A> = Schema.Codec<A, any, never, never>;

/** One reason of a recorded `Cause`, in storable form. */
export type EncodedReason =
  | { readonly kind: "fail"; readonly error: unknown }
  | { readonly kind: "die"; readonly defect: unknown }
  | { readonly kind: "interrupt" };

const FAILURE_NAME = "EffectFailure";

/**
 * The error a Cairn step or workflow records when its Effect fails. Core serializes its own
 * fields, so after a crash it comes back as an `Error` named `EffectFailure` with the same
 * `reasons`; {@link decodeCause} reads either form.
 */
export class EffectFailure extends Error {
  override name = FAILURE_NAME;
  readonly reasons: readonly EncodedReason[];

  constructor(subject: string, reasons: readonly EncodedReason[], summary: string) {
    super(`${subject} failed: ${summary}`);
    this.reasons = reasons;
  }

  /** True for an `EffectFailure`, also one revived from a checkpoint (a plain `Error`). */
  static is(value: unknown): value is { readonly reasons: readonly EncodedReason[] } {
    return (
      value instanceof Error &&
      value.name === FAILURE_NAME &&
      Array.isArray((value as { reasons?: unknown }).reasons)
    );
  }
}

/** Encodes a success value; throws a `SchemaError` when it does not match `schema`. */
export function encodeValue<A>(schema: ValueSchema<A> | undefined, value: A): unknown {
  return schema === undefined ? value : Schema.encodeUnknownSync(Schema.toCodecJson(schema))(value);
}

/** Decodes a value written by {@link encodeValue}. */
export function decodeValue<A>(schema: ValueSchema<A> | undefined, encoded: unknown): A {
  return schema === undefined
    ? (encoded as A)
    : Schema.decodeUnknownSync(Schema.toCodecJson(schema))(encoded);
}

/** Turns a failed Effect's cause into the error core records. */
export function encodeFailure<E>(
  subject: string,
  schema: ValueSchema<E> | undefined,
  cause: Cause.Cause<E>,
): EffectFailure {
  const reasons = cause.reasons.map((reason): EncodedReason => {
    if (Cause.isFailReason(reason))
      return { kind: "fail", error: encodeError(schema, reason.error) };
    if (Cause.isDieReason(reason)) return { kind: "die", defect: storableDefect(reason.defect) };
    return { kind: "interrupt" };
  });
  return new EffectFailure(subject, reasons, Cause.pretty(cause).split("\n")[0] ?? "");
}

/** Rebuilds the `Cause` recorded by {@link encodeFailure}. */
export function decodeCause<E>(
  schema: ValueSchema<E> | undefined,
  failure: { readonly reasons: readonly EncodedReason[] },
): Cause.Cause<E> {
  return Cause.fromReasons(
    failure.reasons.map((reason) => {
      switch (reason.kind) {
        case "fail":
          return Cause.makeFailReason(decodeValue(schema, reason.error));
        case "die":
          return Cause.makeDieReason(reason.defect);
        case "interrupt":
          return Cause.makeInterruptReason();
      }
    }),
  );
}

function encodeError<E>(schema: ValueSchema<E> | undefined, error: E): unknown {
  if (schema !== undefined) return encodeValue(schema, error);
  return storable(error) ? error : storableDefect(error);
}

/** A defect as core can store it: the value itself when it serializes, else an `Error`. */
function storableDefect(defect: unknown): unknown {
  if (storable(defect)) return defect;
  const error = new Error(defect instanceof Error ? defect.message : String(defect));
  if (defect instanceof Error) {
    error.name = defect.name;
    error.stack = defect.stack ?? "";
  }
  return error;
}

function storable(value: unknown): boolean {
  try {
    serialize(value, "an Effect failure");
    return true;
  } catch {
    return false;
  }
}
