/**
 * How Cairn turns values into the text it stores, and back. devalue does the work, so Date, Map,
 * Set, BigInt, undefined, typed arrays, URL, Temporal, shared references and cycles round-trip
 * exactly. Errors round-trip through a custom reducer that keeps name, message, stack, cause and
 * own fields, and come back as the matching built-in or Cairn error class. A `Serializer` adds
 * the user's custom types (encode/decode pairs) and an optional codec applied to the whole text
 * (encryption at rest). A value that cannot be encoded is a `SerializationError` naming what and
 * where; a stored value naming an unregistered type, or written through a codec this process
 * lacks, is a `DeserializationError`. This module does no I/O.
 */
import { parse, stringify } from "devalue";
import {
  cairnErrorClasses,
  DeserializationError,
  InvalidOptionError,
  SerializationError,
} from "./errors.js";
import type { SerializedValue } from "./store/records.js";

/**
 * A type of yours stored by value: `is` recognises it, `encode` turns it into something Cairn
 * can store (a string, a plain object, anything devalue encodes), `decode` rebuilds it.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- a record cannot infer each entry's own types
export interface CustomType<T = any, Encoded = any> {
  is(value: unknown): boolean;
  encode(value: T): Encoded;
  decode(encoded: Encoded): T;
}

/**
 * Turns the serialized text into the stored text and back, e.g. by encrypting it. Synchronous:
 * it runs on every value written and read. `decode` must accept everything `encode` ever wrote
 * (keep old keys: prefix a key id).
 */
export interface ValueCodec {
  encode(text: string): string;
  decode(text: string): string;
}

/** How an engine or client stores values. Default: devalue, no custom types, no codec. */
export interface SerializationOptions {
  /** Custom types by a name stored with each value; the name must stay stable. */
  readonly types?: Readonly<Record<string, CustomType>>;
  /** Applied to every stored value after serialization. */
  readonly codec?: ValueCodec;
  /**
   * What `deserialize` does with a value it cannot decode. `"throw"` (default): a
   * `DeserializationError`. `"describe"`: a string in its place — `"[encoded]"` for a value
   * written through a codec it lacks (or that the codec refused), `"[Decimal]"` for an
   * unregistered type. For tools that only display values (the CLI, the dashboard).
   */
  readonly undecodable?: "throw" | "describe";
}

/** Encodes and decodes stored values. */
export interface Serializer {
  /**
   * Encodes a value. `subject` names it in errors, e.g. `output of step "charge"`.
   * @throws SerializationError when the value holds something that cannot be encoded.
   */
  serialize(value: unknown, subject: string): SerializedValue;
  /** Encodes an error; fields that cannot be encoded are replaced by a description. */
  serializeError(error: unknown, subject: string): SerializedValue;
  /** @throws DeserializationError for an unregistered type or a codec this process lacks. */
  deserialize<T = unknown>(text: SerializedValue): T;
}

interface EncodedError {
  readonly name: string;
  readonly message: string;
  readonly stack: string | undefined;
  readonly cause: unknown;
  readonly hasCause: boolean;
  readonly fields: Record<string, unknown>;
}

const builtinErrors: Readonly<Record<string, ErrorConstructor>> = {
  Error,
  TypeError,
  RangeError,
  SyntaxError,
  ReferenceError,
  EvalError,
  URIError,
};

const errorReducers = {
  Error: (value: unknown): EncodedError | false => {
    if (!(value instanceof Error)) return false;
    const fields: Record<string, unknown> = {};
    for (const key of Object.keys(value)) {
      if (key !== "name" && key !== "message" && key !== "stack" && key !== "cause") {
        fields[key] = (value as unknown as Record<string, unknown>)[key];
      }
    }
    return {
      name: value.name,
      message: value.message,
      stack: value.stack,
      cause: value.cause,
      hasCause: "cause" in value,
      fields,
    };
  },
};

const errorRevivers = {
  Error: (encoded: EncodedError): Error => {
    const ctor = cairnErrorClasses[encoded.name] ?? builtinErrors[encoded.name] ?? Error;
    const error = Object.create(ctor.prototype as object) as Error;
    const define = (key: string, value: unknown) =>
      Object.defineProperty(error, key, { value, writable: true, configurable: true });
    define("message", encoded.message);
    define("stack", encoded.stack);
    if (encoded.hasCause) define("cause", encoded.cause);
    Object.assign(error, encoded.fields);
    error.name = encoded.name;
    return error;
  },
};

/** Marks a stored text written through a codec; devalue's own output never starts with it. */
const CODEC_MARK = "~";

/** Names devalue or Cairn already use; a custom type may not take them. */
const reservedNames = new Set(["Error", "Date", "Set", "Map", "RegExp", "Object", "BigInt", "URL"]);

/**
 * A serializer with your custom types and codec. `createEngine` and `createClient` build one from
 * their `serialization` option; use this directly only to read stored values yourself.
 * @throws InvalidOptionError for a type name that is reserved or not an identifier.
 */
export function createSerializer(options: SerializationOptions = {}): Serializer {
  const reducers: Record<string, (value: unknown) => unknown> = {};
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- devalue's reviver type
  const revivers: Record<string, (value: any) => unknown> = {};
  for (const [name, type] of Object.entries(options.types ?? {})) {
    checkType(name, type);
    // Wrapped in an array: devalue treats a falsy reducer result as "not this type".
    reducers[name] = (value) => (type.is(value) ? [type.encode(value)] : false);
    revivers[name] = (wrapped: [unknown]) => type.decode(wrapped[0]);
  }
  Object.assign(reducers, errorReducers);
  Object.assign(revivers, errorRevivers);
  const codec = options.codec;
  const serializer: Serializer = {
    serialize: (value, subject) => {
      const text = encode(value, reducers, subject);
      return codec === undefined ? text : CODEC_MARK + encodeWith(codec, text, subject);
    },
    serializeError: (error, subject) => {
      try {
        return serializer.serialize(error, subject);
      } catch {
        return serializer.serialize(encodable(error, serializer, subject), subject);
      }
    },
    deserialize: <T>(text: SerializedValue) => decode(unwrap(text, codec), revivers) as T,
  };
  if (options.undecodable === "describe") serializer.deserialize = describing(codec, revivers);
  return serializer;
}

function checkType(name: string, type: CustomType): void {
  const option = `serialization.types.${name}`;
  if (!/^[A-Za-z_$][\w$.]*$/.test(name) || reservedNames.has(name) || name.startsWith("Temporal")) {
    throw new InvalidOptionError(option, "expected an identifier not used by a built-in type");
  }
  for (const key of ["is", "encode", "decode"] as const) {
    if (typeof type?.[key] !== "function") {
      throw new InvalidOptionError(option, `expected ${key} to be a function`);
    }
  }
}

function encode(
  value: unknown,
  reducers: Record<string, (value: unknown) => unknown>,
  subject: string,
) {
  try {
    return stringify(value, reducers);
  } catch (error) {
    if (SerializationError.is(error)) throw error;
    const path = (error as { path?: unknown }).path;
    throw new SerializationError(subject, typeof path === "string" ? path : "", reasonOf(error));
  }
}

function reasonOf(error: unknown): string {
  const reason = error instanceof Error ? error.message : String(error);
  const value = (error as { value?: unknown }).value;
  const type = typeof value === "object" && value !== null ? value.constructor?.name : undefined;
  return type === undefined || type === "Object"
    ? reason
    : `${reason} (a ${type}: register it in serialization.types)`;
}

function encodeWith(codec: ValueCodec, text: string, subject: string): string {
  try {
    return codec.encode(text);
  } catch (error) {
    throw new SerializationError(subject, "", `the codec failed: ${String(error)}`);
  }
}

function unwrap(text: SerializedValue, codec: ValueCodec | undefined): string {
  if (!text.startsWith(CODEC_MARK)) return text;
  if (codec === undefined) throw new DeserializationError("no-codec");
  try {
    return codec.decode(text.slice(CODEC_MARK.length));
  } catch (error) {
    throw new DeserializationError("codec-failed", undefined, { cause: error });
  }
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- devalue's reviver type
function decode(text: string, revivers: Record<string, (value: any) => unknown>): unknown {
  try {
    return parse(text, revivers);
  } catch (error) {
    const unknown = /^Unknown type (.+)$/.exec(error instanceof Error ? error.message : "");
    if (unknown?.[1] !== undefined) throw new DeserializationError("unknown-type", unknown[1]);
    throw new DeserializationError("malformed", undefined, { cause: error });
  }
}

/** A `deserialize` that puts a description where a value cannot be decoded. */
function describing(
  codec: ValueCodec | undefined,
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- devalue's reviver type
  revivers: Record<string, (value: any) => unknown>,
): Serializer["deserialize"] {
  const named = { ...revivers };
  return <T>(text: SerializedValue): T => {
    let plain: string;
    try {
      plain = unwrap(text, codec);
    } catch {
      return "[encoded]" as T;
    }
    for (;;) {
      try {
        return decode(plain, named) as T;
      } catch (error) {
        const name = DeserializationError.is(error) ? error.typeName : undefined;
        if (name === undefined) throw error;
        named[name] = () => `[${name}]`;
      }
    }
  };
}

/** The default serializer: devalue, errors as their classes, no custom types, no codec. */
export const defaultSerializer: Serializer = createSerializer();

/** Encodes a value with the default serializer. @see Serializer.serialize */
export function serialize(value: unknown, subject: string): SerializedValue {
  return defaultSerializer.serialize(value, subject);
}

/** Decodes a value with the default serializer. @see Serializer.deserialize */
export function deserialize<T = unknown>(text: SerializedValue): T {
  return defaultSerializer.deserialize<T>(text);
}

/** Encodes an error with the default serializer. @see Serializer.serializeError */
export function serializeError(error: unknown, subject: string): SerializedValue {
  return defaultSerializer.serializeError(error, subject);
}

function encodable(error: unknown, serializer: Serializer, subject: string): Error {
  if (!(error instanceof Error)) return new Error(String(error));
  const copy = Object.create(Object.getPrototypeOf(error) as object) as Error;
  const describe = (value: unknown) => {
    try {
      serializer.serialize(value, subject);
      return value;
    } catch {
      return value instanceof Error
        ? encodable(value, serializer, subject)
        : `[unserializable ${typeof value}]`;
    }
  };
  for (const key of Object.keys(error)) {
    (copy as unknown as Record<string, unknown>)[key] = describe(
      (error as unknown as Record<string, unknown>)[key],
    );
  }
  for (const key of ["name", "message", "stack"] as const) {
    Object.defineProperty(copy, key, { value: error[key], writable: true, configurable: true });
  }
  if ("cause" in error) {
    Object.defineProperty(copy, "cause", {
      value: describe(error.cause),
      writable: true,
      configurable: true,
    });
  }
  return copy;
}
