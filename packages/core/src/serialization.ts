/**
 * How Cairn turns values into the text it stores, and back. devalue does the work, so Date, Map,
 * Set, BigInt, undefined, typed arrays, shared references and cycles round-trip exactly. Errors
 * round-trip through a custom reducer that keeps name, message, stack, cause and own fields, and
 * comes back as the matching built-in or Cairn error class. A value devalue cannot encode (a
 * function, a class instance, a symbol) is a `SerializationError` naming what and where — never a
 * silent `{}`.
 */
import { parse, stringify } from "devalue";
import { cairnErrorClasses, SerializationError } from "./errors.js";
import type { SerializedValue } from "./store/records.js";

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

const reducers = {
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

const revivers = {
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

/**
 * Encodes a value for storage. `subject` names it in errors, e.g. `output of step "charge"`.
 * @throws SerializationError when the value holds something devalue cannot encode.
 */
export function serialize(value: unknown, subject: string): SerializedValue {
  try {
    return stringify(value, reducers);
  } catch (error) {
    const path = (error as { path?: unknown }).path;
    const reason = error instanceof Error ? error.message : String(error);
    throw new SerializationError(subject, typeof path === "string" ? path : "", reason);
  }
}

/** Decodes a value written by `serialize`. */
export function deserialize<T = unknown>(text: SerializedValue): T {
  return parse(text, revivers) as T;
}

/**
 * Encodes an error. If some of its fields (or its cause) cannot be encoded, they are replaced by
 * a description, so the error's name, message and stack are never lost.
 */
export function serializeError(error: unknown, subject: string): SerializedValue {
  try {
    return serialize(error, subject);
  } catch {
    return serialize(encodable(error, subject), subject);
  }
}

function encodable(error: unknown, subject: string): Error {
  if (!(error instanceof Error)) return new Error(String(error));
  const copy = Object.create(Object.getPrototypeOf(error) as object) as Error;
  const describe = (value: unknown) => {
    try {
      serialize(value, subject);
      return value;
    } catch {
      return value instanceof Error
        ? encodable(value, subject)
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
