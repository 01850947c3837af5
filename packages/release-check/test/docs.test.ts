import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { checkDocs, listDocFiles } from "../src/docs-check.js";

const root = fileURLToPath(new URL("../../../", import.meta.url));
const workDir = (name: string) =>
  fileURLToPath(new URL(`../node_modules/.cache/docs-check/${name}`, import.meta.url));
const scratch = mkdtempSync(join(tmpdir(), "cairn-docs-check-"));

afterAll(() => {
  rmSync(scratch, { recursive: true, force: true });
});

describe("docs", () => {
  it("every TypeScript block in docs/ and the READMEs type-checks against the built packages", () => {
    const files = listDocFiles(root);
    expect(files).toContain("README.md");
    expect(files).toContain("docs/api.md");
    const result = checkDocs({ root, files, workDir: workDir("all") });
    const report = result.errors.map((error) => `${error.file}:${error.line}: ${error.message}`);
    expect(report).toEqual([]);
    expect(result.checked).toBeGreaterThan(15);
  });

  it("reports a block that no longer compiles at its Markdown line, prelude and module included", () => {
    writeFileSync(
      join(scratch, "drift.md"),
      [
        "# Drifted",
        "<!-- ts-module ./flows.ts",
        'import { workflow } from "@cairn/core";',
        'export const double = workflow("double", async (_ctx, n: number) => n * 2);',
        "-->",
        "<!-- ts-prelude",
        'import { createEngine, type WorkflowStore } from "@cairn/core";',
        "declare const store: WorkflowStore;",
        "-->",
        "```ts",
        'import { double } from "./flows.js";',
        "const engine = createEngine({ store, workflows: [double] });",
        'const n: number = await engine.run(double, "two");',
        "```",
        "```ts fragment",
        "this is not TypeScript",
        "```",
      ].join("\n"),
    );
    const result = checkDocs({ root: scratch, files: ["drift.md"], workDir: workDir("drift") });
    expect(result).toMatchObject({ checked: 1, fragments: 1 });
    expect(
      result.errors.map((error) => [error.file, error.line, error.message.slice(0, 7)]),
    ).toEqual([["drift.md", 13, "TS2345:"]]);
  });
});
