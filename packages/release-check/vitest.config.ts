import { defineProject } from "vitest/config";

// The docs check runs tsc over every docs block; the pack check packs, installs (npm, from the
// registry for third-party packages) and runs a smoke workflow on PGlite: minutes, not seconds.
export default defineProject({
  test: {
    name: "release-check",
    include: ["test/**/*.test.ts"],
    testTimeout: 600_000,
    hookTimeout: 120_000,
  },
});
