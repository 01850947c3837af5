/**
 * Workflow IDs are checked the same way wherever one comes in: an engine's and a client's start
 * and fork, and a child's `id`. Each bad ID is an `InvalidOptionError` naming the option, and
 * nothing is written: no workflow, no checkpoint.
 */
import { describe, expect, it } from "vitest";
import {
  assertWorkflowId,
  createClient,
  createEngine,
  InvalidOptionError,
  MAX_WORKFLOW_ID_LENGTH,
  workflow,
} from "../src/index.js";
import { createMemoryStore } from "../src/testing/index.js";
import { recordingLogger } from "./support.js";

const badIds: readonly [string, string, RegExp][] = [
  ["empty", "", /non-empty/],
  ["too long", "x".repeat(MAX_WORKFLOW_ID_LENGTH + 1), /longer than the maximum of 512/],
  ["with NUL", "order\u00001", /NUL/],
  ["with a lone high surrogate", "order-\uD83D", /lone UTF-16 surrogate \(\\uD83D\) at index 6/],
  ["with a lone low surrogate", "\uDE00-order", /lone UTF-16 surrogate \(\\uDE00\) at index 0/],
];

const greet = workflow("greet", async (_ctx, name: string) => `hello ${name}`);

async function setUp() {
  const store = createMemoryStore();
  const logger = recordingLogger();
  const engine = createEngine({ store, workflows: [greet], logger });
  await engine.launch();
  const client = createClient({ store, logger });
  return { store, engine, client };
}

describe("workflow IDs", () => {
  it("accepts the longest allowed ID and well-formed text, astral characters included", async () => {
    const { engine } = await setUp();
    for (const id of ["x".repeat(MAX_WORKFLOW_ID_LENGTH), "order-😀-ü", "a:b/c d"]) {
      await expect(engine.run(greet, "ok", { id })).resolves.toBe("hello ok");
    }
    await engine.shutdown();
  });

  it.each(badIds)("refuses an ID %s everywhere, writing nothing", async (_what, id, problem) => {
    const { store, engine, client } = await setUp();
    await engine.run(greet, "source", { id: "source" });
    const attempts = [
      () => engine.start(greet, "x", { id }),
      () => client.start<typeof greet>("greet", "x", { id }),
      () => engine.fork("source", { fromStep: 0, id }),
      () => client.fork("source", { fromStep: 0, id }),
    ];
    for (const attempt of attempts) {
      const error = await attempt().catch((e: unknown) => e);
      expect(error).toBeInstanceOf(InvalidOptionError);
      expect(error).toMatchObject({ option: "id" });
      expect((error as Error).message).toMatch(problem);
    }
    expect((await store.listWorkflows({})).map((w) => w.workflowId)).toEqual(["source"]);
    await engine.shutdown();
  });

  it.each(badIds)("refuses a child ID %s before the parent records anything", async (...bad) => {
    const id = bad[1];
    const store = createMemoryStore();
    const parent = workflow("parent", async (ctx) => {
      const error = await ctx.start(greet, "kid", { id }).catch((e: unknown) => e);
      return InvalidOptionError.is(error) ? error.option : "started";
    });
    const engine = createEngine({ store, workflows: [greet, parent], logger: recordingLogger() });
    await engine.launch();
    await expect(engine.run(parent, undefined, { id: "p" })).resolves.toBe("id");
    expect(await store.listSteps("p")).toEqual([]);
    expect((await store.listWorkflows({})).map((w) => w.workflowId)).toEqual(["p"]);
    await engine.shutdown();
  });

  it("names the option it checked", () => {
    expect(() => assertWorkflowId("", "workflowId")).toThrow(
      expect.objectContaining({ option: "workflowId" }) as Error,
    );
    expect(assertWorkflowId("fine")).toBe("fine");
  });
});
