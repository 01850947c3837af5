import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { INSTRUMENTATION_SCOPE, VERSION } from "../src/index.js";

describe("instrumentation scope", () => {
  it("names this package and its version", () => {
    const manifest = JSON.parse(
      readFileSync(new URL("../package.json", import.meta.url), "utf8"),
    ) as { name: string; version: string };
    expect([INSTRUMENTATION_SCOPE, VERSION]).toEqual([manifest.name, manifest.version]);
  });
});
