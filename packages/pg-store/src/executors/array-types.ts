/**
 * The array types the store binds (`text[]`, `int[]`, `bigint[]`), declared up front so the
 * store's own postgres.js client can run with `fetch_types: false`.
 *
 * Why: with type fetching on, postgres.js asks the server for every array type on each new
 * connection, from inside its socket handler, and drops the promise of that query. When the
 * connection breaks during that query (a Postgres restart, a failover), the rejection is unhandled,
 * and Node's default for an unhandled rejection is to end the process — a durable-workflow
 * process died because its database restarted. Declaring the few array types Cairn uses removes
 * the query altogether. The element codecs follow Postgres's array literal syntax for one
 * dimension: `{"a","b\"c",NULL}`.
 */
import type postgres from "postgres";

/** Type OIDs of the arrays the store binds, fixed by Postgres. */
const TEXT_ARRAY = 1009;
const INT4_ARRAY = 1007;
const INT8_ARRAY = 1016;

/** Characters that need a backslash inside a quoted array element (tested, then replaced). */
const NEEDS_ESCAPE = /[\\"]/;
const ESCAPED = /[\\"]/g;

/**
 * A one-dimensional array as a Postgres array literal; every element quoted, `null` as NULL.
 * One string built in a loop, escaping only elements that need it: the queue claim binds 7
 * arrays of up to 50 outcomes per claim (a map, a callback per match and a join cost ~3x more).
 */
export function arrayLiteral(values: readonly (string | number | bigint | null)[]): string {
  let literal = "{";
  for (let i = 0; i < values.length; i++) {
    const value = values[i];
    if (value === undefined) throw new TypeError("an array bound to a query holds undefined");
    if (i > 0) literal += ",";
    if (value === null) {
      literal += "NULL";
      continue;
    }
    const text = String(value);
    literal += NEEDS_ESCAPE.test(text) ? `"${text.replace(ESCAPED, "\\$&")}"` : `"${text}"`;
  }
  return `${literal}}`;
}

/** Parses a one-dimensional Postgres array literal into its elements as text (NULL as `null`). */
export function parseArrayLiteral(literal: string): (string | null)[] {
  const inner = literal.startsWith("{") ? literal.slice(1, -1) : literal;
  const out: (string | null)[] = [];
  let i = 0;
  while (i < inner.length) {
    if (inner[i] === '"') {
      let element = "";
      i++;
      while (i < inner.length && inner[i] !== '"') {
        if (inner[i] === "\\") i++;
        element += inner[i] ?? "";
        i++;
      }
      out.push(element);
      i += 2; // the closing quote and the comma
    } else {
      const end = inner.indexOf(",", i);
      const raw = inner.slice(i, end === -1 ? inner.length : end);
      out.push(raw === "NULL" ? null : raw);
      i = end === -1 ? inner.length : end + 1;
    }
  }
  return out;
}

function arrayType(oid: number, element: (text: string) => unknown): postgres.PostgresType {
  return {
    to: oid,
    from: [oid],
    // A value already in literal form passes through, as postgres.js's own serializer lets it.
    serialize: (values: (string | number | bigint | null)[] | string) =>
      typeof values === "string" ? values : arrayLiteral(values),
    parse: (literal: string) =>
      parseArrayLiteral(literal).map((text) => (text === null ? null : element(text))),
  };
}

/** The `types` option for postgres.js: the arrays the store binds, no fetching needed. */
export const storeArrayTypes = {
  cairnTextArray: arrayType(TEXT_ARRAY, (text) => text),
  cairnIntArray: arrayType(INT4_ARRAY, Number),
  cairnBigintArray: arrayType(INT8_ARRAY, (text) => text), // as postgres.js gives bigint: a string
} satisfies Record<string, postgres.PostgresType>;

/**
 * postgres.js options for a client you pass to `createPgStore({ sql })`, so it cannot lose a
 * connection into an unhandled rejection: no type query per connection, Cairn's arrays declared.
 * Spread them into your own: `postgres(url, { ...cairnClientOptions, max: 20 })`. Arrays of other
 * types your own queries read then come back as Postgres's text form unless you declare them too.
 */
export const cairnClientOptions = {
  fetch_types: false,
  types: storeArrayTypes,
} as const;
