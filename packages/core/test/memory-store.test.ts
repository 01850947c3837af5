import { describe, expect, it } from "vitest";
import { InvalidOptionError } from "../src/errors.js";
import { describeStoreContract } from "../src/testing/contract.js";
import { createMemoryStore } from "../src/testing/index.js";

describeStoreContract("memory", () => Promise.resolve({ store: createMemoryStore() }));

describe("the memory store without a queue store beside it", () => {
  it("refuses a fork onto a queue with InvalidOptionError and writes nothing", async () => {
    const store = createMemoryStore();
    await store.createWorkflow({ workflowId: "w", name: "n", input: "1", executorId: "e" });
    const fork = store.forkWorkflow({
      sourceId: "w",
      newId: "f",
      fromPosition: 0,
      executorId: "e",
      queue: { queueName: "q", partitionKey: "", priority: 0 },
    });
    await expect(fork).rejects.toThrow(InvalidOptionError);
    await expect(fork).rejects.toMatchObject({ option: "queue" });
    expect(await store.getWorkflow("f")).toBeUndefined();
    await store.close();
  });
});
