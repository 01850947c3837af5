/**
 * The source tree keeps its shape: no import circle inside any package or example (type-only
 * imports included), and `@cairn/core` points at no other Cairn package, in its manifest or its
 * imports. The checker itself is shown to find a circle and a wrong arrow in a scratch tree.
 */
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import {
  cairnDependencies,
  cairnImports,
  importCircles,
  importGraph,
} from "../src/source-layout.js";

const root = fileURLToPath(new URL("../../../", import.meta.url));
const scratch = mkdtempSync(join(tmpdir(), "cairn-source-layout-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

const sourceDirs = ["packages", "examples"].flatMap((group) =>
  readdirSync(join(root, group)).map((name) => `${group}/${name}/src`),
);

describe("source layout", () => {
  it.each(sourceDirs)("%s has no import circle", (dir) => {
    expect(importCircles(importGraph(join(root, dir)), join(root, dir))).toEqual([]);
  });

  it("@cairn/core depends on no other Cairn package", () => {
    expect(cairnDependencies(join(root, "packages/core"))).toEqual([]);
    expect(cairnImports(join(root, "packages/core/src"))).toEqual([]);
  });

  it("finds a circle through type-only imports and a package arrow pointing back", () => {
    const src = join(scratch, "src");
    mkdirSync(join(src, "inner"), { recursive: true });
    writeFileSync(
      join(src, "a.ts"),
      'import type { B } from "./inner/b.js";\nexport type A = B;\n',
    );
    writeFileSync(
      join(src, "inner/b.ts"),
      '/** import { nothing } from "../ignored.js" */\nexport type { A as B } from "../a.js";\n',
    );
    writeFileSync(join(src, "c.ts"), 'import { x } from "@cairn/queue";\nexport const c = x;\n');
    writeFileSync(join(scratch, "package.json"), '{ "dependencies": { "@cairn/queue": "1" } }');
    expect(importCircles(importGraph(src), src)).toEqual([["a.ts", "inner/b.ts"]]);
    expect(cairnDependencies(scratch)).toEqual(["@cairn/queue"]);
    expect(cairnImports(src)).toEqual([{ file: "c.ts", specifier: "@cairn/queue" }]);
  });
});
