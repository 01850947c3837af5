/**
 * `handle.result()` from a process that does not run the workflow (a client) rides out a store
 * outage — a server restart or failover — instead of rejecting: it waits and reads again.
 */
import { describe, expect, it } from "vitest";
import {
  createClient,
  serialize,
  StoreUnavailableError,
  type WorkflowStore,
} from "../src/index.js";
import { createMemoryStore } from "../src/testing/index.js";
import { recordingLogger } from "./support.js";

describe("waiting for a result through a store outage", () => {
  it("keeps waiting when reads fail with StoreUnavailableError, then returns the result", async () => {
    const memory = createMemoryStore();
    let failures = 0;
    const flaky: WorkflowStore = {
      ...memory,
      getWorkflow: async (workflowId) => {
        if (failures < 3) {
          failures++;
          throw new StoreUnavailableError("the database is restarting");
        }
        return memory.getWorkflow(workflowId);
      },
    };
    const client = createClient({ store: flaky, logger: recordingLogger(), pollIntervalMs: 20 });
    const handle = await client.start("greet", "ada", { id: "g1" });
    await memory.finishWorkflow({
      workflowId: "g1",
      executorId: "someone",
      status: "SUCCESS",
      output: serialize("hello ada", "output"),
    });
    await expect(handle.result()).resolves.toBe("hello ada");
    expect(failures).toBe(3);
    await client.close();
  });
});
