import { describe, expect, it } from "vitest";
import { z } from "zod";
import {
  createEngine,
  EngineClosedError,
  EngineNotLaunchedError,
  NotInWorkflowError,
  step,
  ValidationError,
  workflow,
  WorkflowConflictError,
  WorkflowNotFoundError,
  WorkflowNotRegisteredError,
  type AnyWorkflow,
} from "../src/index.js";
import { createMemoryStore } from "../src/testing/index.js";
import { recordingLogger } from "./support.js";

const double = step("double", (n: number) => n * 2);
const addOne = step("addOne", async (n: number) => Promise.resolve(n + 1));

const arithmetic = workflow(
  { name: "arithmetic", input: z.object({ n: z.number().int() }) },
  async (ctx, { n }) => addOne(ctx, await double(ctx, n)),
);

async function launched(workflows: AnyWorkflow[] = [arithmetic], store = createMemoryStore()) {
  const engine = createEngine({ store, workflows, logger: recordingLogger() });
  await engine.launch();
  return { engine, store };
}

describe("engine", () => {
  it("runs a workflow to its result", async () => {
    const { engine } = await launched();
    await expect(engine.run(arithmetic, { n: 20 })).resolves.toBe(41);
  });

  it("starts with one write, records each step with one write, and finishes with one write, reading nothing", async () => {
    const { engine, store } = await launched();
    await engine.run(arithmetic, { n: 1 }, { id: "counted" });
    expect(store.calls).toMatchObject({
      createWorkflow: 1,
      recordStep: 2,
      finishWorkflow: 1,
      listSteps: 0,
      getWorkflow: 0,
    });
  });

  it("returns the existing workflow for a known ID instead of running it twice", async () => {
    let runs = 0;
    const counted = workflow("counted", async () => ++runs);
    const { engine } = await launched([counted]);
    const first = await engine.run(counted, undefined, { id: "once" });
    const second = await engine.run(counted, undefined, { id: "once" });
    expect([first, second, runs]).toEqual([1, 1, 1]);
  });

  it("rejects an existing ID under another workflow name with WorkflowConflictError", async () => {
    const other = workflow("other", async () => "other");
    const { engine } = await launched([arithmetic, other]);
    await engine.run(arithmetic, { n: 1 }, { id: "taken" });
    const error = await engine.start(other, undefined, { id: "taken" }).catch((e: unknown) => e);
    expect(WorkflowConflictError.is(error)).toBe(true);
    expect(error).toMatchObject({
      workflowId: "taken",
      existingName: "arithmetic",
      requestedName: "other",
    });
  });

  it("rejects invalid input with a ValidationError carrying zod's issues, writing nothing", async () => {
    const { engine, store } = await launched();
    const error = await engine.start(arithmetic, { n: 1.5 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).issues[0]?.path).toEqual(["n"]);
    expect(store.calls.createWorkflow).toBe(0);
  });

  it("passes the parsed input (after zod transforms) to the body", async () => {
    const echo = workflow(
      { name: "echo", input: z.object({ at: z.coerce.date() }) },
      async (_ctx, { at }) => at,
    );
    const { engine } = await launched([echo]);
    await expect(engine.run(echo, { at: "2026-01-02T00:00:00Z" })).resolves.toEqual(
      new Date("2026-01-02T00:00:00Z"),
    );
  });

  it("fails a workflow whose output does not match its output schema", async () => {
    const bad = workflow({ name: "bad", output: z.string() }, async () => 42 as unknown as string);
    const { engine } = await launched([bad]);
    const handle = await engine.start(bad, undefined);
    await expect(handle.result()).rejects.toMatchObject({ name: "ValidationError" });
    await expect(handle.status()).resolves.toMatchObject({ status: "ERROR" });
  });

  it("records a thrown error as the workflow's outcome and rethrows it from result()", async () => {
    const failing = workflow("failing", async () => {
      throw Object.assign(new RangeError("out of stock"), { sku: "A1" });
    });
    const { engine } = await launched([failing]);
    const handle = await engine.start(failing, undefined, { id: "f" });
    const error = await handle.result().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RangeError);
    expect(error).toMatchObject({ message: "out of stock", sku: "A1" });
    const again = await engine
      .retrieve("f")
      .result()
      .catch((e: unknown) => e);
    expect(again).toMatchObject({ name: "RangeError", message: "out of stock", sku: "A1" });
  });

  it("retrieves handles by ID and reports status", async () => {
    const { engine } = await launched();
    await engine.run(arithmetic, { n: 2 }, { id: "r1" });
    const handle = engine.retrieve<number>("r1");
    await expect(handle.result()).resolves.toBe(5);
    await expect(handle.status()).resolves.toMatchObject({
      workflowId: "r1",
      name: "arithmetic",
      status: "SUCCESS",
      executorId: engine.executorId,
    });
    await expect(engine.retrieve("nope").result()).rejects.toBeInstanceOf(WorkflowNotFoundError);
  });

  it("throws typed errors for misuse: not launched, closed, unregistered, outside a workflow", async () => {
    const store = createMemoryStore();
    const engine = createEngine({ store, workflows: [arithmetic], logger: recordingLogger() });
    await expect(engine.start(arithmetic, { n: 1 })).rejects.toBeInstanceOf(EngineNotLaunchedError);
    await engine.launch();
    const stranger = workflow("stranger", async () => 1);
    await expect(engine.start(stranger, undefined)).rejects.toBeInstanceOf(
      WorkflowNotRegisteredError,
    );
    await expect(double({} as never, 1)).rejects.toBeInstanceOf(NotInWorkflowError);
    await expect(arithmetic({} as never, { n: 1 })).rejects.toBeInstanceOf(NotInWorkflowError);
    await engine.shutdown();
    await expect(engine.start(arithmetic, { n: 1 })).rejects.toBeInstanceOf(EngineClosedError);
  });
});
