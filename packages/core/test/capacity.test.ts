import { describe, expect, it } from "vitest";
import { createEngine, InvalidOptionError, workflow, type WorkflowStore } from "../src/index.js";
import { createMemoryStore } from "../src/testing/index.js";
import { gate, recordingLogger } from "./support.js";

/** Polls `condition` until it holds (no wall-clock assertion: the test's timeout bounds it). */
async function until(condition: () => boolean | Promise<boolean>): Promise<void> {
  while (!(await condition())) await new Promise((resolve) => setTimeout(resolve, 5));
}

/** `count` PENDING workflows of an executor that never heartbeated: any engine takes them over. */
async function orphans(store: WorkflowStore, name: string, count: number): Promise<string[]> {
  const ids = Array.from({ length: count }, (_, i) => `orphan-${i}`);
  for (const workflowId of ids) {
    await store.createWorkflow({
      workflowId,
      name,
      input: "-1",
      executorId: "gone",
      appVersion: undefined,
    });
  }
  return ids;
}

describe("run capacity and the lease", () => {
  it("takes over only as many workflows as there is room for below runCapacity", async () => {
    const store = createMemoryStore();
    const release = gate();
    let inFlight = 0;
    let most = 0;
    const held = workflow("held", async () => {
      most = Math.max(most, ++inFlight);
      await release.wait;
      inFlight--;
      return "done";
    });
    const ids = await orphans(store, "held", 6);
    const engine = createEngine({
      store: { ...store, exclusive: false },
      workflows: [held],
      logger: recordingLogger(),
      leaseMs: 60,
      pollIntervalMs: 10,
      runCapacity: 2,
    });
    await engine.launch();
    try {
      await until(() => inFlight >= 2);
      release.open();
      const done = async () => {
        const records = await Promise.all(ids.map((id) => store.getWorkflow(id)));
        return records.every((record) => record?.status === "SUCCESS");
      };
      await until(done);
      // Without the bound the first takeover claimed all six at once.
      expect(most).toBe(2);
    } finally {
      await engine.shutdown();
    }
  });

  it("keeps heartbeating while a takeover is stuck in the store", async () => {
    const memory = createMemoryStore();
    const stuck = gate();
    let takeoverEntered = false;
    let beats = 0;
    const store: WorkflowStore = {
      ...memory,
      exclusive: false,
      async heartbeat(executor) {
        beats++;
        return memory.heartbeat(executor);
      },
      async takeOver(claim) {
        takeoverEntered = true;
        await stuck.wait;
        return memory.takeOver(claim);
      },
    };
    const noop = workflow("noop", async () => "ok");
    const engine = createEngine({
      store,
      workflows: [noop],
      logger: recordingLogger(),
      leaseMs: 60,
      pollIntervalMs: 10,
    });
    await engine.launch();
    try {
      await until(() => takeoverEntered);
      const before = beats;
      // Before, the heartbeat and the takeover shared one loop: no heartbeat until it returned.
      await until(() => beats >= before + 3);
      const [executor] = await memory.listExecutors();
      expect(executor?.workflowNames).toEqual(["noop"]);
    } finally {
      stuck.open();
      await engine.shutdown();
    }
  });

  it("refuses a runCapacity that is not a positive integer", () => {
    const make = (runCapacity: number) =>
      createEngine({ store: createMemoryStore(), workflows: [], runCapacity });
    for (const bad of [0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY]) {
      expect(() => make(bad)).toThrow(InvalidOptionError);
    }
    expect(() => make(3)).not.toThrow();
  });
});
