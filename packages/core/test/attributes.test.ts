/**
 * Workflow attributes from the engine and the client (memory store): given at start, returned in
 * the status, searched by containment, replaced or merged later; a bad object is refused with
 * `InvalidOptionError` naming the problem, and nothing is written.
 */
import { describe, expect, it } from "vitest";
import {
  createClient,
  createEngine,
  InvalidOptionError,
  workflow,
  WorkflowNotFoundError,
} from "../src/index.js";
import { createMemoryStore } from "../src/testing/index.js";
import { recordingLogger } from "./support.js";

const order = workflow("order", async (_ctx, n: number) => n * 2);

async function setup() {
  const store = createMemoryStore();
  const engine = createEngine({ store, workflows: [order], logger: recordingLogger() });
  await engine.launch();
  const client = createClient({ store: { ...store, close: async () => undefined } });
  return { store, engine, client };
}

describe("workflow attributes", () => {
  it("are kept from the start, shown in the status and found by containment", async () => {
    const { engine, client } = await setup();
    const acme = { tenant: "acme", order: { id: 42, tags: ["rush"] } };
    await engine.run(order, 1, { id: "a", attributes: acme });
    await engine.run(order, 2, { id: "b", attributes: { tenant: "globex" } });
    await client.start("order", 3, { id: "c", attributes: { tenant: "acme" } });
    await engine.retrieve("c").result();
    expect((await engine.retrieve("a").status()).attributes).toEqual(acme);
    const found = async (attributes: Record<string, unknown>) =>
      (await client.listWorkflows({ attributes: attributes as never }))
        .map((w) => w.workflowId)
        .sort();
    expect(await found({ tenant: "acme" })).toEqual(["a", "c"]);
    expect(await found({ order: { tags: ["rush"] } })).toEqual(["a"]);
    expect(await found({ tenant: "initech" })).toEqual([]);
    await engine.shutdown();
  });

  it("are replaced, or merged key by key, on the engine and the client", async () => {
    const { engine, client } = await setup();
    await engine.run(order, 1, { id: "a", attributes: { tenant: "acme", step: 1 } });
    expect(await client.setAttributes("a", { step: 2, escalated: true }, { merge: true })).toEqual({
      tenant: "acme",
      step: 2,
      escalated: true,
    });
    expect(await engine.setAttributes("a", { only: "this" })).toEqual({ only: "this" });
    expect((await engine.retrieve("a").status()).attributes).toEqual({ only: "this" });
    await expect(engine.setAttributes("nope", { a: 1 })).rejects.toThrow(WorkflowNotFoundError);
    await engine.shutdown();
  });

  it("refuses attributes that are not a plain JSON object, writing nothing", async () => {
    const { store, engine, client } = await setup();
    const bad = { at: new Date(0) } as never;
    const attempts = [
      () => engine.start(order, 1, { id: "x1", attributes: bad }),
      () => client.start("order", 1, { id: "x2", attributes: [] as never }),
      () => engine.start(order, 1, { id: "x3", attributes: { big: "x".repeat(20_000) } }),
      () => engine.listWorkflows({ attributes: bad }),
    ];
    for (const attempt of attempts) {
      const refused = attempt();
      await expect(refused).rejects.toThrow(InvalidOptionError);
      await expect(refused).rejects.toMatchObject({ option: "attributes" });
    }
    await expect(engine.start(order, 1, { id: "x1", attributes: bad })).rejects.toThrow(
      /attributes\.at is a Date/,
    );
    expect(await store.listWorkflows({})).toEqual([]);
    await engine.run(order, 1, { id: "ok", attributes: { a: 1 } });
    await expect(engine.setAttributes("ok", { n: Number.NaN })).rejects.toThrow(InvalidOptionError);
    expect((await engine.retrieve("ok").status()).attributes).toEqual({ a: 1 });
    await engine.shutdown();
  });
});
