import { describe, expect, it } from "vitest";
import { createEngine, step, workflow, type WorkflowStore } from "../src/index.js";
import { createMemoryStore } from "../src/testing/index.js";
import { gate, recordingLogger } from "./support.js";

/** Waits for `condition`, checking again after each macrotask; the test's timeout bounds it. */
async function until(condition: () => boolean | Promise<boolean>): Promise<void> {
  while (!(await condition())) await new Promise((resolve) => setTimeout(resolve, 1));
}

describe("waking a suspended workflow", () => {
  it("keeps the poll from running it while the wake reads its history", async () => {
    const inner = createMemoryStore();
    const polling = gate();
    const reading = gate();
    let armed = false;
    let pollWaits = false;
    let historyRead = false;
    // The store's answers are held back at two points: a poll's read of runnable workflows, and
    // the wake's read of the history (taken before the gate, delivered after: a slow round trip).
    const store: WorkflowStore = {
      ...inner,
      async listRunnable(...args) {
        if (armed && !pollWaits) {
          pollWaits = true;
          await polling.wait;
        }
        return inner.listRunnable(...args);
      },
      async listStepsOf(workflowIds) {
        const read = await inner.listStepsOf!(workflowIds); // the memory store has it
        if (armed && workflowIds.includes("w")) {
          historyRead = true;
          await reading.wait;
        }
        return read;
      },
    };
    let sideEffects = 0;
    const side = step("side", () => ++sideEffects);
    const napper = workflow("napper", async (ctx) => {
      await ctx.sleep(300);
      await side(ctx);
      return "done";
    });
    let runsOfW = 0; // runs begun (started, recovered or woken by replay), counted once armed
    const engine = createEngine({
      store,
      workflows: [napper],
      observers: [
        {
          onEvent: (event) => {
            const begun = event.type === "workflow.started" || event.type === "workflow.recovered";
            if (armed && begun && event.run.workflowId === "w") runsOfW++;
          },
        },
      ],
      logger: recordingLogger(),
      pollIntervalMs: 10,
      suspendAfterMs: 0,
    });
    await engine.launch();
    try {
      await engine.start(napper, undefined, { id: "w" });
      await until(() => inner.calls.suspendWorkflow > 0);
      armed = true;
      await until(() => pollWaits && historyRead); // a poll waits; the due wake read the history
      const listings = inner.calls.listWorkflows;
      polling.open(); // that poll now reads w as runnable (PENDING, no longer suspended)
      await until(() => inner.calls.listWorkflows > listings); // it ended: the next one began
      // Before the hold, that poll began a run of w here, which ran to its end, and the wake
      // then replayed w from the history read before that run's step: the step ran twice.
      expect(runsOfW).toBe(0);
      reading.open();
      await expect(engine.retrieve(napper, "w").result()).resolves.toBe("done");
      expect(sideEffects).toBe(1);
      expect(runsOfW).toBe(1);
    } finally {
      polling.open();
      reading.open();
      await engine.shutdown();
    }
  }, 30_000);
});
