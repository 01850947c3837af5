/**
 * The array codecs the store's client uses instead of postgres.js's per-connection type query:
 * what they write must reach Postgres as the same elements, and what Postgres returns must parse
 * back. Checked against the real server, which is the only judge of the literal syntax.
 */
import postgres from "postgres";
import { afterAll, describe, expect, it } from "vitest";
import { arrayLiteral, parseArrayLiteral } from "../src/executors/array-types.js";
import { cairnClientOptions } from "../src/index.js";
import { databaseUrl } from "./support/databases.js";

const awkward = ["plain", "", 'a "quoted" word', "back\\slash", "a,comma", "{braces}", "NULL", " "];

describe("array literals", () => {
  it("parses what it writes, element for element", () => {
    expect(parseArrayLiteral(arrayLiteral(awkward))).toEqual(awkward);
    expect(parseArrayLiteral(arrayLiteral([]))).toEqual([]);
    expect(parseArrayLiteral(arrayLiteral(["x", null, "y"]))).toEqual(["x", null, "y"]);
  });

  it("parses Postgres's own unquoted form", () => {
    expect(parseArrayLiteral("{1,2,NULL,3}")).toEqual(["1", "2", null, "3"]);
  });
});

describe.skipIf(!databaseUrl)("on the server, without postgres.js's type query", () => {
  const sql = postgres(databaseUrl ?? "", { ...cairnClientOptions, max: 1, onnotice: () => {} });
  afterAll(() => sql.end());

  it("binds text, int and bigint arrays and reads them back", async () => {
    const [row] = await sql.unsafe<{ t: string[]; i: number[]; b: string[]; n: number }[]>(
      "select $1::text[] as t, $2::int[] as i, $3::bigint[] as b, cardinality($1::text[]) as n",
      [awkward, [1, -2, 3], ["9007199254740993", "0"]],
      { prepare: true },
    );
    expect(row?.t).toEqual(awkward);
    expect(row?.n).toBe(awkward.length);
    expect(row?.i).toEqual([1, -2, 3]);
    expect(row?.b).toEqual(["9007199254740993", "0"]);
  });
});
