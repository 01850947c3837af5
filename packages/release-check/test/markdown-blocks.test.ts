import { describe, expect, it } from "vitest";
import { extractTsBlocks } from "../src/markdown-blocks.js";

const md = (...lines: string[]) => lines.join("\n");

describe("extractTsBlocks", () => {
  it("finds ts and typescript fences with the line of their first code line", () => {
    const blocks = extractTsBlocks(
      md("# T", "", "```ts", "const a = 1;", "```", "", "```typescript", "const b = 2;", "```"),
    );
    expect(blocks.map((block) => [block.line, block.code])).toEqual([
      [4, "const a = 1;"],
      [8, "const b = 2;"],
    ]);
  });

  it("ignores other languages and marks fragments", () => {
    const blocks = extractTsBlocks(
      md(
        "```sh",
        "pnpm test",
        "```",
        "```ts fragment",
        "f(a, ...b): C",
        "```",
        "```sql",
        "select 1",
        "```",
      ),
    );
    expect(blocks).toHaveLength(1);
    expect(blocks[0]).toMatchObject({ fragment: true, code: "f(a, ...b): C" });
  });

  it("attaches a hidden prelude and modules to the next block only", () => {
    const blocks = extractTsBlocks(
      md(
        "<!-- ts-module ./w.ts",
        "export const w = 1;",
        "-->",
        "<!-- ts-prelude",
        "declare const engine: unknown;",
        "-->",
        "```ts",
        "engine;",
        "```",
        "```ts",
        "other;",
        "```",
      ),
    );
    expect(blocks[0]).toMatchObject({
      prelude: "declare const engine: unknown;",
      modules: [{ path: "./w.ts", code: "export const w = 1;" }],
    });
    expect(blocks[1]).toMatchObject({ prelude: "", modules: [] });
  });

  it("drops a prelude that is followed by prose instead of a block", () => {
    const blocks = extractTsBlocks(
      md("<!-- ts-prelude declare const x: 1; -->", "Text.", "```ts", "x;", "```"),
    );
    expect(blocks[0]?.prelude).toBe("");
  });

  it("does not take fences inside a block for blocks of their own", () => {
    const blocks = extractTsBlocks(
      md("````md", "```ts", "inner", "```", "````", "```ts", "outer", "```"),
    );
    expect(blocks.map((block) => block.code)).toEqual(["outer"]);
  });

  it("rejects a ts-module without a relative .ts path", () => {
    expect(() =>
      extractTsBlocks(md("<!-- ts-module workflows", "x", "-->", "```ts", "y", "```")),
    ).toThrow(/relative \.ts path/);
  });
});
