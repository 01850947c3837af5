import * as v from "valibot";
import { afterEach, describe, expect, it } from "vitest";
import {
  createEngine,
  InvalidOptionError,
  pipeline,
  ValidationError,
  workflow,
  type AnyWorkflow,
  type Engine,
  type StandardSchema,
} from "../src/index.js";
import { createMemoryStore } from "../src/testing/index.js";
import { recordingLogger } from "./support.js";

const engines: Engine[] = [];
afterEach(async () => {
  for (const engine of engines.splice(0)) await engine.shutdown();
});

async function engineWith(...workflows: AnyWorkflow[]) {
  const store = createMemoryStore();
  const engine = createEngine({ store, workflows, logger: recordingLogger() });
  engines.push(engine);
  await engine.launch();
  return { engine, store };
}

/** A hand-written Standard Schema whose validation is asynchronous. */
const asyncEven: StandardSchema<number> = {
  "~standard": {
    version: 1,
    vendor: "hand-written",
    validate: async (value) =>
      typeof value === "number" && value % 2 === 0
        ? { value }
        : { issues: [{ message: "expected an even number", path: [{ key: "n" }] }] },
  },
};

describe("Standard Schema validators", () => {
  it("parses a valibot input (transforms included) and stores the parsed value", async () => {
    const order = workflow(
      { name: "order", input: v.object({ qty: v.pipe(v.string(), v.transform(Number)) }) },
      async (_ctx, { qty }) => qty * 2,
    );
    const { engine } = await engineWith(order);
    expect(await engine.run(order, { qty: "21" })).toBe(42);
  });

  it("rejects a bad valibot input with a ValidationError naming the path, and stores nothing", async () => {
    const order = workflow({ name: "order", input: v.object({ id: v.string() }) }, async () => 1);
    const { engine, store } = await engineWith(order);
    const error: unknown = await engine
      .run(order, { id: 7 } as unknown as { id: string }, { id: "o-1" })
      .catch((caught: unknown) => caught);
    expect(ValidationError.is(error)).toBe(true);
    expect((error as ValidationError).message).toMatch(/^Invalid input of workflow "order": id: /);
    expect(await store.getWorkflow("o-1")).toBeUndefined();
  });

  it("runs an asynchronous hand-written schema, and reports its object path segments", async () => {
    const half = workflow({ name: "half", input: asyncEven }, async (_ctx, n) => n / 2);
    const { engine } = await engineWith(half);
    expect(await engine.run(half, 8)).toBe(4);
    await expect(engine.run(half, 3)).rejects.toThrow(
      'Invalid input of workflow "half": n: expected an even number',
    );
  });

  it("fails the run when the output does not match a valibot output schema", async () => {
    const broken = workflow(
      { name: "broken", output: v.number() },
      async () => "not a number" as unknown as number,
    );
    const { engine } = await engineWith(broken);
    await expect(engine.run(broken, undefined)).rejects.toThrow(
      /Invalid output of workflow "broken"/,
    );
  });

  it("validates messages against a valibot channel schema", async () => {
    const approval = workflow(
      { name: "approval", channels: { messages: { decision: v.object({ ok: v.boolean() }) } } },
      async (ctx) => (await ctx.recv("decision"))?.ok ?? false,
    );
    const { engine } = await engineWith(approval);
    const handle = await engine.start(approval, undefined);
    await expect(
      handle.send("decision", { ok: "yes" } as unknown as { ok: boolean }),
    ).rejects.toThrow(/Invalid message on topic "decision": ok: /);
    await handle.send("decision", { ok: true });
    expect(await handle.result()).toBe(true);
  });

  it("checks a pipeline hand-off against a valibot stage schema, naming both stages", async () => {
    const emit = workflow(
      "emit",
      async (_ctx, n: number) => ({ text: n }) as unknown as { text: string },
    );
    const shout = workflow(
      { name: "shout", input: v.object({ text: v.string() }) },
      async (_ctx, { text }) => text.toUpperCase(),
    );
    const p = pipeline("p", emit, shout);
    const { engine } = await engineWith(...p.workflows);
    await expect(engine.run(p, 1)).rejects.toThrow(
      /Invalid output of stage 1 \("emit"\) as input of stage 2 \("shout"\): text: /,
    );
  });

  it("refuses an input option that is not a Standard Schema when the workflow is defined", () => {
    const notASchema = { parse: (value: unknown) => value } as unknown as StandardSchema;
    expect(() => workflow({ name: "w", input: notASchema }, async () => 1)).toThrow(
      InvalidOptionError,
    );
  });
});
