/**
 * Workflow attributes: a small JSON object a caller attaches to a workflow when it starts or
 * enqueues it (and may change later), stored with it and searchable by containment — "every run
 * of tenant X", "the runs for order Y". This module says what a valid attributes object is and
 * checks it the same way wherever one comes in from outside, before anything is written. It does
 * not store or search: the store does (Postgres: a `jsonb` column with a GIN index, `@>`).
 */
import { InvalidOptionError } from "./errors.js";

/** A JSON value: what `JSON.parse` can return. */
export type JsonValue =
  string | number | boolean | null | readonly JsonValue[] | { readonly [key: string]: JsonValue };

/**
 * A workflow's attributes: a plain JSON object, at most {@link MAX_ATTRIBUTES_BYTES} as JSON.
 *
 * @example
 * await engine.start(checkout, input, { attributes: { tenant: "acme", orderId: 42 } });
 * await engine.listWorkflows({ attributes: { tenant: "acme" } });
 */
export type WorkflowAttributes = { readonly [key: string]: JsonValue };

/**
 * The largest attributes object accepted: 16 KiB (16,384 bytes) of UTF-8 JSON text. Attributes
 * are for finding runs, not for carrying data: that is what a workflow's input is for.
 */
export const MAX_ATTRIBUTES_BYTES = 16_384;

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** Why `text` (a key or a string value at `path`) cannot be stored, or undefined. */
function textProblem(text: string, path: string): string | undefined {
  if (text.includes("\u0000")) return `${path} contains a NUL character (\\u0000)`;
  if (LONE_SURROGATE.test(text)) return `${path} contains a lone UTF-16 surrogate: not valid text`;
  return undefined;
}

const isPlainObject = (value: object): boolean => {
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
};

/** What `value` is, for an error message. */
function kindOf(value: unknown): string {
  if (value === null || value === undefined) return String(value);
  if (Array.isArray(value)) return "an array";
  if (typeof value === "object") {
    const name = (value as { constructor?: { name?: unknown } }).constructor?.name;
    return typeof name === "string" && name !== "" ? `a ${name}` : "an object";
  }
  return `a ${typeof value}`;
}

/** Why the JSON value at `path` cannot be stored, or undefined. */
function valueProblem(value: unknown, path: string, seen: Set<object>): string | undefined {
  switch (typeof value) {
    case "string":
      return textProblem(value, path);
    case "boolean":
      return undefined;
    case "number":
      return Number.isFinite(value) ? undefined : `${path} is ${value}, which JSON cannot hold`;
    case "object":
      if (value === null) return undefined;
      if (seen.has(value)) return `${path} refers back to itself (a cycle)`;
      seen.add(value);
      try {
        if (Array.isArray(value)) {
          for (let i = 0; i < value.length; i++) {
            const problem = valueProblem(value[i], `${path}[${i}]`, seen);
            if (problem !== undefined) return problem;
          }
          return undefined;
        }
        return objectProblem(value, path, seen);
      } finally {
        seen.delete(value);
      }
    case "bigint":
    case "function":
    case "symbol":
    case "undefined":
      return `${path} is ${kindOf(value)}, which is not JSON`;
  }
}

function objectProblem(value: object, path: string, seen: Set<object>): string | undefined {
  if (!isPlainObject(value)) return `${path} is ${kindOf(value)}, not a plain JSON object`;
  for (const [key, child] of Object.entries(value)) {
    const at = `${path}${/^[A-Za-z_$][\w$]*$/.test(key) ? `.${key}` : `[${JSON.stringify(key)}]`}`;
    const problem = textProblem(key, `the key ${JSON.stringify(key)} in ${path}`);
    if (problem !== undefined) return problem;
    const inner = valueProblem(child, at, seen);
    if (inner !== undefined) return inner;
  }
  return undefined;
}

/** Why `attributes` is not a valid attributes object, or undefined when it is. */
function problemOf(attributes: unknown, option: string): string | undefined {
  if (typeof attributes !== "object" || attributes === null || Array.isArray(attributes)) {
    return `expected a plain JSON object, got ${kindOf(attributes)}`;
  }
  const problem = valueProblem(attributes, option, new Set());
  if (problem !== undefined) return problem;
  const bytes = new TextEncoder().encode(JSON.stringify(attributes)).length;
  if (bytes > MAX_ATTRIBUTES_BYTES) {
    return `${bytes} bytes of JSON is more than the maximum of ${MAX_ATTRIBUTES_BYTES}`;
  }
  return undefined;
}

/**
 * Throws `InvalidOptionError` (naming `option` and the offending path) unless `attributes` is a
 * plain JSON object — strings, finite numbers, booleans, null, arrays and plain objects, no
 * cycles, no NUL and no lone surrogate in any key or string — of at most
 * {@link MAX_ATTRIBUTES_BYTES} bytes as JSON. Returns it.
 */
export function assertAttributes(attributes: unknown, option = "attributes"): WorkflowAttributes {
  const problem = problemOf(attributes, option);
  if (problem !== undefined) throw new InvalidOptionError(option, problem);
  return attributes as WorkflowAttributes;
}
