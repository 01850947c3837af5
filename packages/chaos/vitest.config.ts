import { defineProject } from "vitest/config";

// Each test file starts its own Postgres cluster on a free port, so the files run in parallel
// with each other and with every other project; a server restart here disturbs nothing else.
export default defineProject({
  test: {
    name: "chaos",
    include: ["test/**/*.test.ts"],
    testTimeout: 110_000,
    hookTimeout: 60_000,
  },
});
