import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { packCheck } from "../src/pack-check.js";
import { listPublicPackages } from "../src/public-packages.js";

const root = fileURLToPath(new URL("../../../", import.meta.url));
const fake = mkdtempSync(join(tmpdir(), "cairn-pack-fake-"));

afterAll(() => {
  rmSync(fake, { recursive: true, force: true });
});

describe("pack check", () => {
  it("packs every public package, installs the tarballs outside the workspace and runs the smoke program", () => {
    const names = listPublicPackages(root).map((pkg) => pkg.name);
    expect(names).toEqual(
      expect.arrayContaining(["@cairn/core", "@cairn/pg-store", "@cairn/queue"]),
    );
    const result = packCheck({ root });
    expect(result.problems).toEqual([]);
    expect(result.packages).toEqual(names);
  });

  it("fails on a package without README, repository or the files its exports map names", () => {
    writeFileSync(
      join(fake, "package.json"),
      JSON.stringify({
        name: "fake-root",
        private: true,
        repository: { url: "git+https://example.invalid/r.git" },
      }),
    );
    const dir = join(fake, "packages", "broken");
    mkdirSync(join(dir, "dist"), { recursive: true });
    writeFileSync(join(dir, "dist", "index.js"), "export const x = 1;\n");
    writeFileSync(join(dir, "dist", "index.test.js"), "throw new Error();\n");
    writeFileSync(
      join(dir, "package.json"),
      JSON.stringify({
        name: "@fake/broken",
        version: "1.0.0",
        license: "Apache-2.0",
        type: "module",
        files: ["dist"],
        exports: { ".": { types: "./dist/index.d.ts", default: "./dist/index.js" } },
      }),
    );
    const result = packCheck({ root: fake });
    expect(result.problems).toEqual(
      expect.arrayContaining([
        "packages/broken: no README.md",
        "packages/broken: repository.url is not the root's git+https://example.invalid/r.git",
        "packages/broken: no keywords",
        "@fake/broken: the tarball lacks dist/index.d.ts",
        "@fake/broken: the tarball ships dist/index.test.js",
      ]),
    );
    rmSync(result.scratch, { recursive: true, force: true });
  });
});
