/**
 * A message is checked against the channel schema of the workflow that will receive it, even
 * when the sender has only the receiver's ID: the sender's engine knows the definition by name.
 * A bad message is a `ValidationError` at the send, and nothing is stored, instead of a failure
 * inside the receiver later.
 */
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { createEngine, ValidationError, workflow } from "../src/index.js";
import { createMemoryStore } from "../src/testing/index.js";
import { recordingLogger } from "./support.js";

const inbox = workflow(
  {
    name: "inbox",
    channels: { messages: { order: z.object({ sku: z.string(), qty: z.number().int() }) } },
  },
  async (ctx) => ctx.recv("order"),
);
const shouter = workflow(
  {
    name: "shouter",
    channels: { messages: { word: z.string().transform((w) => w.toUpperCase()) } },
  },
  async (ctx) => ctx.recv("word"),
);
const courier = workflow("courier", async (ctx, message: unknown) => {
  await ctx.send("in", "order", message);
  return "sent";
});

async function setUp() {
  const store = createMemoryStore();
  const engine = createEngine({
    store,
    workflows: [inbox, shouter, courier],
    logger: recordingLogger(),
  });
  await engine.launch();
  return { store, engine };
}

describe("sending to a workflow with a typed channel by ID", () => {
  it("refuses a bad message at engine.send and stores nothing", async () => {
    const { store, engine } = await setUp();
    const receiving = await engine.start(inbox, undefined, { id: "in" });
    const error = await engine.send("in", "order", { sku: 7 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ValidationError);
    expect(error).toMatchObject({ subject: 'message on topic "order"' });
    expect(store.calls.sendMessage).toBe(0);

    await engine.send("in", "order", { sku: "a-1", qty: 2 });
    await expect(receiving.result()).resolves.toEqual({ sku: "a-1", qty: 2 });
    await engine.shutdown();
  });

  it("fails ctx.send with a ValidationError recorded at its position, sending nothing", async () => {
    const { store, engine } = await setUp();
    await engine.start(inbox, undefined, { id: "in" });
    const error = await engine.run(courier, { qty: 1.5 }, { id: "c" }).catch((e: unknown) => e);
    expect(ValidationError.is(error)).toBe(true);
    expect(store.calls.sendMessage).toBe(0);
    const [send] = await engine.listSteps("c");
    expect(send?.name).toBe("cairn.send");
    expect(send?.error).toBeInstanceOf(ValidationError);
    await engine.shutdown();
  });

  it("parses once: a typed handle's send is not validated a second time", async () => {
    const { engine } = await setUp();
    const handle = await engine.start(shouter, undefined, { id: "s" });
    await engine.retrieve(shouter, "s").send("word", "hey");
    await expect(handle.result()).resolves.toBe("HEY");
    await engine.shutdown();
  });

  it("reads nothing extra for a topic no registered workflow declares", async () => {
    const { store, engine } = await setUp();
    await engine.start(inbox, undefined, { id: "in" });
    const reads = store.calls.getWorkflow;
    await engine.send("in", "free-form", { anything: true });
    expect(store.calls.getWorkflow).toBe(reads);
    expect(store.calls.sendMessage).toBe(1);
    await engine.shutdown();
  });
});
