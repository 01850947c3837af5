import { describe, expect, it } from "vitest";
import { createEngine, workflow } from "../src/index.js";
import { createMemoryStore } from "../src/testing/index.js";
import { gate, recordingLogger } from "./support.js";

/** Polls `condition` until it holds (no wall-clock assertion: the test's timeout bounds it). */
async function until(condition: () => boolean | Promise<boolean>): Promise<void> {
  while (!(await condition())) await new Promise((resolve) => setTimeout(resolve, 5));
}

describe("the poll's pickup", () => {
  it("finds a workflow whose notification it missed while running more than a page of others", async () => {
    const store = createMemoryStore();
    const release = gate();
    let running = 0;
    const held = workflow("held", async (_ctx, n: number) => {
      running++;
      await release.wait;
      return n;
    });
    const quick = workflow("quick", async (_ctx, n: number) => n + 1);
    const engine = createEngine({
      store,
      workflows: [held, quick],
      executorId: "e1",
      logger: recordingLogger(),
      pollIntervalMs: 10,
    });
    await engine.launch();
    try {
      // More than the poll's page of 100, all older than the one it must find.
      for (let i = 0; i < 120; i++) await engine.start(held, i);
      await until(() => running === 120);
      // Assigned to this engine without a notification, as one lost with a dropped connection.
      await store.createWorkflow({
        workflowId: "missed",
        name: "quick",
        input: "[1]", // 1, serialized
        executorId: "e1",
        notify: false,
      });
      await until(async () => (await store.getWorkflow("missed"))?.status === "SUCCESS");
      expect(running).toBe(120); // none of the held ones was started twice
    } finally {
      release.open();
      await engine.shutdown();
    }
  });
});
