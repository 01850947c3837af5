import { defineProject } from "vitest/config";

// Only the compare table's arithmetic and formatting: the bench itself is never run by tests.
export default defineProject({
  test: { name: "bench", include: ["test/**/*.test.ts"] },
});
