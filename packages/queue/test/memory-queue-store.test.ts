/**
 * The queue store contract on the memory queue store. Postgres and PGlite run the same suite in
 * `@cairn/pg-store` (test/queue/queue-store-contract.test.ts).
 */
import { createMemoryStore } from "@cairn/core/testing";
import { describe, expect, it } from "vitest";
import { createMemoryQueueStore } from "../src/testing/index.js";
import { describeQueueStoreContract } from "../src/testing/contract.js";

describeQueueStoreContract(
  "memory",
  { callerTransactions: false, multiProcess: false },
  async () => {
    const store = createMemoryStore();
    return { store, queues: createMemoryQueueStore(store) };
  },
);

describe("createMemoryQueueStore", () => {
  it("refuses a store that is not a memory store", () => {
    expect(() => createMemoryQueueStore({} as never)).toThrow(/createMemoryStore/);
  });

  it("shares one set of queues among the queue stores of one workflow store", async () => {
    const store = createMemoryStore();
    const first = createMemoryQueueStore(store);
    const second = createMemoryQueueStore(store);
    await first.enqueue({
      workflow: {
        workflowId: "w1",
        name: "job",
        input: "1",
        executorId: "cairn:queue",
        status: "ENQUEUED",
        queueName: "q",
      },
      queueName: "q",
      priority: 0,
      partitionKey: "",
    });
    expect(await second.counts("q")).toMatchObject({ ENQUEUED: 1 });
    expect(await createMemoryQueueStore(createMemoryStore()).counts("q")).toMatchObject({
      ENQUEUED: 0,
    });
  });
});
