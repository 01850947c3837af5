import { afterEach, describe, expect, it, vi } from "vitest";
import {
  createEngine,
  InvalidOptionError,
  NonDeterminismError,
  step,
  workflow,
  type Engine,
} from "../src/index.js";
import {
  createCrashTest,
  createMemoryStore,
  exportHistory,
  replayHistory,
  type WorkflowHistory,
} from "../src/testing/index.js";
import { recordingLogger } from "./support.js";

const engines: Engine[] = [];
afterEach(async () => {
  for (const engine of engines.splice(0)) await engine.shutdown();
});

/** Counts how often each step body really ran. */
function counted() {
  const runs: Record<string, number> = {};
  const make = (name: string) =>
    step(name, async (n: number) => {
      runs[name] = (runs[name] ?? 0) + 1;
      return n + 1;
    });
  return { runs, make };
}

async function recordRun(
  wf: Parameters<typeof createEngine>[0]["workflows"][number],
  input: unknown,
) {
  const store = createMemoryStore();
  const engine = createEngine({ store, workflows: [wf], logger: recordingLogger() });
  engines.push(engine);
  await engine.launch();
  await engine.run(wf, input, { id: "recorded" });
  // Through JSON, as a fixture file would be.
  return JSON.parse(JSON.stringify(await exportHistory(store, "recorded"))) as WorkflowHistory;
}

describe("replayHistory", () => {
  const v1Steps = counted();
  const v1 = workflow("order", async (ctx, n: number) => {
    const a = await v1Steps.make("reserve")(ctx, n);
    await ctx.sleep("1ms");
    return v1Steps.make("charge")(ctx, a);
  });

  it("passes when the current code makes the recorded calls, without running a step body", async () => {
    const history = await recordRun(v1, 1);
    expect(history.steps.map((s) => s.name)).toEqual(["reserve", "cairn.sleep", "charge"]);
    const replaySteps = counted();
    const same = workflow("order", async (ctx, n: number) => {
      const a = await replaySteps.make("reserve")(ctx, n);
      await ctx.sleep("1h"); // a different duration is not a different operation
      return replaySteps.make("charge")(ctx, a);
    });
    await expect(replayHistory(same, history)).resolves.toEqual({
      workflowId: "recorded",
      replayed: 3,
      finished: true,
    });
    expect(replaySteps.runs).toEqual({});
  });

  it("fails with NonDeterminismError naming the position and both operations", async () => {
    const history = await recordRun(v1, 1);
    const renamed = workflow("order", async (ctx, n: number) => {
      const a = await step("reserve", async (x: number) => x)(ctx, n);
      await ctx.sleep("1ms");
      return step("chargeCard", async (x: number) => x)(ctx, a);
    });
    const error: unknown = await replayHistory(renamed, history).catch((caught: unknown) => caught);
    expect(NonDeterminismError.is(error)).toBe(true);
    expect(error).toMatchObject({ position: 2, recordedName: "charge", calledName: "chargeCard" });
  });

  it("fails when the new code returns before the recorded run did", async () => {
    const history = await recordRun(v1, 1);
    const shorter = workflow("order", async (ctx, n: number) =>
      step("reserve", async (x: number) => x)(ctx, n),
    );
    await expect(replayHistory(shorter, history)).rejects.toMatchObject({
      name: "NonDeterminismError",
      position: 1,
      recordedName: "cairn.sleep",
    });
  });

  it("stops at the end of an unfinished history instead of running what comes next", async () => {
    const test = createCrashTest({ workflows: [v1], logger: recordingLogger() });
    await test.launch();
    const crashed = test.crashAfterSteps(1);
    await test.engine.start(v1, 1, { id: "recorded" });
    await crashed;
    const history = await exportHistory(test.store, "recorded");
    expect(history.status).toBe("PENDING");
    const replaySteps = counted();
    const next = workflow("order", async (ctx, n: number) => {
      const a = await replaySteps.make("reserve")(ctx, n);
      await ctx.sleep("1ms");
      return replaySteps.make("charge")(ctx, a);
    });
    await expect(replayHistory(next, history)).resolves.toMatchObject({ finished: false });
    expect(replaySteps.runs).toEqual({});
  });

  it("replays a parent against its children's recorded outcomes", async () => {
    const child = workflow("child", async (ctx, n: number) =>
      step("double", async (x: number) => x * 2)(ctx, n),
    );
    const parent = workflow("parent", async (ctx, n: number) => (await child(ctx, n)) + 1);
    const store = createMemoryStore();
    const engine = createEngine({ store, workflows: [parent, child], logger: recordingLogger() });
    engines.push(engine);
    await engine.launch();
    expect(await engine.run(parent, 4, { id: "recorded" })).toBe(9);
    const history = await exportHistory(store, "recorded");
    expect(history.children.map((c) => c.name)).toEqual(["child"]);
    await expect(replayHistory(parent, history)).resolves.toMatchObject({ finished: true });
  });

  it("refuses a history of another workflow", async () => {
    const history = await recordRun(v1, 1);
    const other = workflow("invoice", async () => 1);
    await expect(replayHistory(other, history)).rejects.toThrow(InvalidOptionError);
  });
});

describe("createCrashTest", () => {
  it("crashes right after the Nth step is recorded, and the restart resumes without re-running it", async () => {
    const { runs, make } = counted();
    const three = workflow("three", async (ctx, n: number) => {
      const a = await make("a")(ctx, n);
      await ctx.sleep("1ms"); // internal operations do not count as steps
      const b = await make("b")(ctx, a);
      return make("c")(ctx, b);
    });
    const test = createCrashTest({ workflows: [three], logger: recordingLogger() });
    await test.launch();
    const crashed = test.crashAfterSteps(2);
    await test.engine.start(three, 0, { id: "t-1" });
    await crashed;
    expect(test.crashed).toBe(true);
    expect(runs).toEqual({ a: 1, b: 1 });
    expect((await test.store.listSteps("t-1")).map((s) => s.name)).toEqual([
      "a",
      "cairn.sleep",
      "b",
    ]);
    const engine = await test.restart();
    engines.push(engine);
    expect(await engine.retrieve<number>("t-1").result()).toBe(3);
    expect(runs).toEqual({ a: 1, b: 1, c: 1 });
  });

  it("lets a test crash the engine by hand while a step is running", async () => {
    const { runs, make } = counted();
    let release!: () => void;
    const blocked = new Promise<void>((resolve) => (release = resolve));
    const slow = step("slow", async (n: number) => {
      await blocked;
      return n;
    });
    const wf = workflow("wf", async (ctx, n: number) => make("after")(ctx, await slow(ctx, n)));
    const test = createCrashTest({ workflows: [wf], logger: recordingLogger() });
    await test.launch();
    await test.engine.start(wf, 5, { id: "w-1" });
    await vi.waitFor(async () =>
      expect((await test.store.getWorkflow("w-1"))?.status).toBe("PENDING"),
    );
    test.crash();
    release(); // the dead engine's step finishes, but its checkpoint is never written
    const engine = await test.restart();
    engines.push(engine);
    release();
    expect(await engine.retrieve<number>("w-1").result()).toBe(6);
    expect(runs).toEqual({ after: 1 });
  });

  it("rejects a step count below 1", async () => {
    const test = createCrashTest({ workflows: [] });
    await expect(test.crashAfterSteps(0)).rejects.toThrow(RangeError);
  });
});
