import { describe, expect, it } from "vitest";
import {
  createEngine,
  createSerializer,
  DeserializationError,
  workflow,
  type CustomType,
  type WorkflowStore,
} from "../src/index.js";
import { createMemoryStore } from "../src/testing/index.js";
import { recordingLogger } from "./support.js";

/** A class whose instances are stored through a custom type. */
class Money {
  readonly cents: number;
  constructor(cents: number) {
    this.cents = cents;
  }
}
const money: CustomType<Money, number> = {
  is: (value) => value instanceof Money,
  encode: (value) => value.cents,
  decode: (cents) => new Money(cents),
};

/** Writes a PENDING workflow owned by `executorId` as a crashed engine would have left it. */
async function leftPending(store: WorkflowStore, workflowId: string, input: string) {
  await store.createWorkflow({ workflowId, name: "charge", input, executorId: "worker-1" });
}

describe("a stored input this process cannot decode", () => {
  it("ends the workflow in ERROR with a DeserializationError naming it, and the body never runs", async () => {
    let ran = 0;
    const charge = workflow("charge", async (_ctx, amount: number) => {
      ran++;
      return amount;
    });
    const store = createMemoryStore();
    await leftPending(store, "w-malformed", "1"); // devalue writes "[1]": this is not its format

    const engine = createEngine({
      store,
      workflows: [charge],
      executorId: "worker-1",
      logger: recordingLogger(),
    });
    await engine.launch();
    try {
      const error: unknown = await engine
        .retrieve(charge, "w-malformed")
        .result()
        .catch((e: unknown) => e);
      expect(DeserializationError.is(error)).toBe(true);
      expect(error).toMatchObject({
        reason: "malformed",
        subject: 'the input of workflow "charge"',
      });
      expect((error as Error).message).toContain('Cannot decode the input of workflow "charge"');
      expect(ran).toBe(0);
      expect((await store.getWorkflow("w-malformed"))?.status).toBe("ERROR");
    } finally {
      await engine.shutdown();
    }
  });

  it("is resumable once the engine can decode it: an unregistered type, then registered", async () => {
    const charge = workflow("charge", async (_ctx, amount: Money) => amount.cents * 2);
    const store = createMemoryStore();
    const withMoney = createSerializer({ types: { Money: money } });
    await leftPending(store, "w-money", withMoney.serialize(new Money(21), "input"));

    // Its shutdown must not close the store the next engine (a new process) opens again.
    const without = createEngine({
      store: { ...store, close: async () => undefined },
      workflows: [charge],
      executorId: "worker-1",
    });
    await without.launch();
    const error: unknown = await without
      .retrieve(charge, "w-money")
      .result()
      .catch((e: unknown) => e);
    await without.shutdown();
    expect(error).toMatchObject({ reason: "unknown-type", typeName: "Money" });

    // The operator registers the type and resumes: the same workflow now runs to its result.
    const fixed = createEngine({
      store,
      workflows: [charge],
      executorId: "worker-1",
      serialization: { types: { Money: money } },
    });
    await fixed.launch();
    try {
      const handle = await fixed.resume<number>("w-money");
      expect(await handle.result()).toBe(42);
    } finally {
      await fixed.shutdown();
    }
  });
});
