/**
 * Workflow values (inputs, outputs, errors, messages) as text. Values were stored with devalue,
 * so they may hold Dates, Maps, BigInts or Errors: `--json` output turns them into plain JSON
 * with a documented shape, and human output shows them as Node's inspector would.
 */
import { inspect } from "node:util";

/**
 * A value as JSON-compatible data: Date → ISO string, BigInt → string, Map → object of entries,
 * Set → array, Error → `{ name, message, ...own fields }`, undefined → null.
 */
export function toJsonValue(value: unknown, seen = new WeakSet<object>()): unknown {
  if (value === undefined) return null;
  if (typeof value === "bigint") return value.toString();
  if (typeof value === "number" && !Number.isFinite(value)) return String(value);
  if (value === null || typeof value !== "object") return value;
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? null : value.toISOString();
  if (seen.has(value)) return "[Circular]";
  seen.add(value);
  if (value instanceof Error) return errorToJson(value, seen);
  if (value instanceof Map) {
    return Object.fromEntries([...value].map(([k, v]) => [String(k), toJsonValue(v, seen)]));
  }
  if (value instanceof Set) return [...value].map((v) => toJsonValue(v, seen));
  if (ArrayBuffer.isView(value)) return Array.from(value as unknown as ArrayLike<number>);
  if (Array.isArray(value)) return value.map((v) => toJsonValue(v, seen));
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, toJsonValue(v, seen)]));
}

function errorToJson(error: Error, seen: WeakSet<object>): Record<string, unknown> {
  const own = Object.fromEntries(
    Object.entries(error)
      .filter(([key]) => key !== "stack")
      .map(([k, v]) => [k, toJsonValue(v, seen)]),
  );
  const cause = error.cause === undefined ? {} : { cause: toJsonValue(error.cause, seen) };
  return { name: error.name, message: error.message, ...own, ...cause };
}

/** A value for a terminal: compact, coloured when `colors`, nested objects up to depth 6. */
export function inspectValue(value: unknown, colors: boolean): string {
  if (value instanceof Error) return errorLine(value);
  return inspect(value, { colors, depth: 6, breakLength: 100, compact: 3 });
}

/** An error as `Name: message` (plus `caused by` lines), without its stack. */
export function errorLine(error: unknown): string {
  if (!(error instanceof Error)) return inspect(error, { depth: 4, breakLength: Infinity });
  const head = `${error.name}: ${error.message}`;
  return error.cause === undefined ? head : `${head}\n  caused by ${errorLine(error.cause)}`;
}

/** The first line of a value, shortened to `max` characters: for table cells. */
export function summarize(value: unknown, max = 60): string {
  const text =
    value instanceof Error
      ? `${value.name}: ${value.message}`
      : inspect(value, { depth: 2, breakLength: Infinity, compact: true });
  const line = text.split("\n")[0] ?? "";
  return line.length > max ? `${line.slice(0, max - 1)}…` : line;
}
