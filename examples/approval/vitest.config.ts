import { defineProject } from "vitest/config";

export default defineProject({
  test: { name: "approval-example", include: ["test/**/*.test.ts"] },
});
