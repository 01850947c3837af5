import { defineProject } from "vitest/config";

export default defineProject({
  test: {
    name: "pg-store",
    include: ["test/**/*.test.ts"],
    globalSetup: ["test/support/global-setup.ts"],
    testTimeout: 60_000,
    hookTimeout: 120_000,
  },
});
