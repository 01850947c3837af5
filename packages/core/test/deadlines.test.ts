/**
 * Deadlines (memory store, virtual clock): an engine's `workflowTimeoutMs` for the workflows it
 * starts without a timeout (starts, forks, children detached from their parent's deadline); a
 * parent's timeout cancelling the children that inherited its deadline and not those detached
 * from it or given their own; and `ctx.start`'s `attributes`.
 */
import { afterEach, describe, expect, it } from "vitest";
import {
  createEngine,
  InvalidOptionError,
  workflow,
  WorkflowCancelledError,
  type AnyWorkflow,
  type Engine,
  type EngineOptions,
} from "../src/index.js";
import { createMemoryStore, createVirtualClock, type VirtualClock } from "../src/testing/index.js";
import { recordingLogger } from "./support.js";

const HOUR = 3_600_000;
const START = Date.UTC(2026, 0, 1);

const waiter = workflow("dl.waiter", async (ctx) => ctx.recv<string>("go"));
const family = workflow("dl.family", async (ctx) => {
  await ctx.start(waiter, undefined, { id: "inherits" });
  await ctx.start(waiter, undefined, { id: "detached", inheritDeadline: false });
  await ctx.start(waiter, undefined, { id: "own", timeoutMs: 3 * HOUR });
  await ctx.start(waiter, undefined, {
    id: "tagged",
    inheritDeadline: false,
    attributes: { tenant: "acme", order: 7 },
  });
  await ctx.sleep("1d");
});
const badTags = workflow("dl.bad-tags", async (ctx) => {
  try {
    await ctx.start(waiter, undefined, { attributes: ["not", "an", "object"] as never });
    return "started";
  } catch (error) {
    return InvalidOptionError.is(error) ? "refused" : "other";
  }
});
const all: AnyWorkflow[] = [waiter, family, badTags];

const engines: Engine[] = [];
afterEach(async () => {
  for (const engine of engines.splice(0)) await engine.shutdown();
});

async function launch(clock: VirtualClock, options: Partial<EngineOptions> = {}) {
  const engine = createEngine({
    store: createMemoryStore(),
    workflows: all,
    clock,
    logger: recordingLogger(),
    shutdownGraceMs: 0,
    ...options,
  });
  engines.push(engine);
  await engine.launch();
  return engine;
}

const deadlineOf = async (engine: Engine, id: string) =>
  (await engine.retrieve(id).status()).deadlineAt?.getTime();

describe("workflowTimeoutMs", () => {
  it("gives a workflow started without a timeout the engine's, and keeps a start's own", async () => {
    const clock = createVirtualClock(START);
    const engine = await launch(clock, { workflowTimeoutMs: "2h" });
    const plain = await engine.start(waiter, undefined, { id: "plain" });
    await engine.start(waiter, undefined, { id: "timed", timeoutMs: 5 * HOUR });
    expect(await deadlineOf(engine, "plain")).toBe(START + 2 * HOUR);
    expect(await deadlineOf(engine, "timed")).toBe(START + 5 * HOUR);
    await engine.startMany(waiter, [
      { input: undefined, id: "many-plain" },
      { input: undefined, id: "many-timed", timeoutMs: 5 * HOUR },
    ]);
    expect(await deadlineOf(engine, "many-plain")).toBe(START + 2 * HOUR);
    expect(await deadlineOf(engine, "many-timed")).toBe(START + 5 * HOUR);

    await clock.untilSleeping(4);
    await clock.advance("2h");
    await expect(plain.result()).rejects.toBeInstanceOf(WorkflowCancelledError);
    expect((await engine.retrieve("timed").status()).status).toBe("PENDING");
  });

  it("applies to a fork without a timeout and to a detached child, not to an inheriting one", async () => {
    const clock = createVirtualClock(START);
    const engine = await launch(clock, { workflowTimeoutMs: "2h" });
    await engine.start(waiter, undefined, { id: "source", timeoutMs: 10 * HOUR });
    await engine.send("source", "go", "now");
    await engine.retrieve("source").result();
    await engine.fork("source", { fromStep: 0, id: "forked" });
    expect(await deadlineOf(engine, "forked")).toBe(START + 2 * HOUR);

    await engine.start(family, undefined, { id: "parent", timeoutMs: HOUR });
    await expect
      .poll(() =>
        engine
          .retrieve("tagged")
          .status()
          .then((s) => s.status),
      )
      .toBe("PENDING");
    expect(await deadlineOf(engine, "inherits")).toBe(START + HOUR);
    expect(await deadlineOf(engine, "detached")).toBe(START + 2 * HOUR);
    expect(await deadlineOf(engine, "own")).toBe(START + 3 * HOUR);
  });

  it("is refused when it is not a positive duration", () => {
    const store = createMemoryStore();
    for (const bad of [0, -5, "soon"] as const) {
      expect(() =>
        createEngine({ store, workflows: all, workflowTimeoutMs: bad as never }),
      ).toThrow(InvalidOptionError);
    }
  });
});

describe("a parent's deadline and its children", () => {
  it("cancels the children that inherited it; detached ones and those with their own run on", async () => {
    const clock = createVirtualClock(START);
    const engine = await launch(clock);
    const parent = await engine.start(family, undefined, { id: "parent", timeoutMs: HOUR });
    await expect
      .poll(() =>
        engine
          .retrieve("tagged")
          .status()
          .then((s) => s.status),
      )
      .toBe("PENDING");
    expect(await deadlineOf(engine, "detached")).toBeUndefined();

    await clock.advance("1h");
    await expect(parent.result()).rejects.toBeInstanceOf(WorkflowCancelledError);
    await expect(engine.retrieve("inherits").result()).rejects.toBeInstanceOf(
      WorkflowCancelledError,
    );
    for (const id of ["detached", "own", "tagged"]) {
      expect((await engine.retrieve(id).status()).status).toBe("PENDING");
    }
    await engine.send("detached", "go", "still here");
    await expect(engine.retrieve("detached").result()).resolves.toBe("still here");
  });

  it("an explicit cancel of the parent still cancels a detached child", async () => {
    const clock = createVirtualClock(START);
    const engine = await launch(clock);
    await engine.start(family, undefined, { id: "parent", timeoutMs: HOUR });
    await expect
      .poll(() =>
        engine
          .retrieve("tagged")
          .status()
          .then((s) => s.status),
      )
      .toBe("PENDING");
    const cancelled = await engine.cancel("parent");
    expect([...cancelled].sort()).toEqual(["detached", "inherits", "own", "parent", "tagged"]);
  });
});

describe("ctx.start attributes", () => {
  it("stores a child's attributes, so a listing finds it by them", async () => {
    const engine = await launch(createVirtualClock(START));
    await engine.start(family, undefined, { id: "parent" });
    await expect
      .poll(async () => (await engine.listWorkflows({ attributes: { tenant: "acme" } })).length)
      .toBe(1);
    const [child] = await engine.listWorkflows({ attributes: { order: 7 } });
    expect(child).toMatchObject({
      workflowId: "tagged",
      parentWorkflowId: "parent",
      attributes: { tenant: "acme", order: 7 },
    });
  });

  it("refuses attributes that are not a JSON object, before anything is recorded", async () => {
    const engine = await launch(createVirtualClock(START));
    await expect(engine.run(badTags, undefined, { id: "bad" })).resolves.toBe("refused");
    expect(await engine.listWorkflows({ parentWorkflowId: "bad" })).toEqual([]);
    expect(await engine.listSteps("bad")).toEqual([]);
  });
});
