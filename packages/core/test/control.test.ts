import { describe, expect, it, vi } from "vitest";
import {
  createClient,
  createEngine,
  step,
  workflow,
  WorkflowCancelledError,
  type AnyWorkflow,
  type WorkflowStore,
} from "../src/index.js";
import { createMemoryStore } from "../src/testing/index.js";
import { forever, gate, recordingLogger } from "./support.js";

async function engineOn(store: WorkflowStore, workflows: AnyWorkflow[], executorId = "local") {
  const engine = createEngine({
    store,
    workflows,
    executorId,
    logger: recordingLogger(),
    pollIntervalMs: 50,
  });
  const report = await engine.launch();
  return { engine, report };
}

const view = (store: WorkflowStore): WorkflowStore => ({ ...store, close: async () => undefined });

describe("cancel", () => {
  it("fires the running step's signal and ends the workflow CANCELLED", async () => {
    let aborted: unknown;
    let running = false;
    const blocked = step.withContext("blocked", ({ signal }) => {
      running = true;
      return new Promise((_, reject) => {
        signal.addEventListener("abort", () => {
          aborted = signal.reason;
          reject(new Error("aborted"));
        });
      });
    });
    const long = workflow("long", async (ctx) => blocked(ctx));
    const { engine } = await engineOn(createMemoryStore(), [long]);
    const handle = await engine.start(long, undefined, { id: "l" });
    await vi.waitFor(() => expect(running).toBe(true)); // cancel a step that is running
    await expect(engine.cancel("l")).resolves.toEqual(["l"]);
    await expect(handle.result()).rejects.toBeInstanceOf(WorkflowCancelledError);
    expect(WorkflowCancelledError.is(aborted)).toBe(true);
    await expect(handle.status()).resolves.toMatchObject({ status: "CANCELLED" });
  });

  it("ends the workflow CANCELLED while a step that never looks at its signal keeps running", async () => {
    let running = false;
    const deaf = step("deaf", () => {
      running = true;
      return new Promise(() => undefined); // ignores cancellation, never settles
    });
    const long = workflow("long-deaf", async (ctx) => deaf(ctx));
    const { engine } = await engineOn(createMemoryStore(), [long]);
    const handle = await engine.start(long, undefined, { id: "d" });
    await vi.waitFor(() => expect(running).toBe(true));
    await expect(engine.cancel("d")).resolves.toEqual(["d"]);
    await expect(handle.result()).rejects.toBeInstanceOf(WorkflowCancelledError);
    await expect(handle.status()).resolves.toMatchObject({ status: "CANCELLED" });
    await engine.shutdown();
  });

  it("wakes a sleeping workflow and cancels its children unless told otherwise", async () => {
    const store = createMemoryStore();
    const child = workflow("sleepy-child", async (ctx) => ctx.sleep("1h"));
    const parent = workflow("sleepy-parent", async (ctx) => {
      await ctx.start(child, undefined);
      await ctx.sleep("1h");
    });
    const { engine } = await engineOn(store, [parent, child]);
    const handle = await engine.start(parent, undefined, { id: "dad" });
    await vi.waitFor(async () => expect(await store.getWorkflow("dad:0")).toBeDefined());
    await expect(engine.cancel("dad")).resolves.toEqual(expect.arrayContaining(["dad", "dad:0"]));
    await expect(handle.result()).rejects.toBeInstanceOf(WorkflowCancelledError);
    await expect(engine.retrieve("dad:0").status()).resolves.toMatchObject({ status: "CANCELLED" });

    const lone = await engine.start(parent, undefined, { id: "mum" });
    await vi.waitFor(async () => expect(await store.getWorkflow("mum:0")).toBeDefined());
    await expect(engine.cancel("mum", { children: false })).resolves.toEqual(["mum"]);
    await expect(lone.result()).rejects.toBeInstanceOf(WorkflowCancelledError);
    await expect(engine.retrieve("mum:0").status()).resolves.toMatchObject({ status: "PENDING" });
    await engine.shutdown();
  });

  it("cancels a workflow at its deadline, and its children inherit the deadline", async () => {
    const store = createMemoryStore();
    const child = workflow("slow-child", async (ctx) => ctx.sleep("1h"));
    const parent = workflow("slow-parent", async (ctx) => child(ctx, undefined));
    const { engine } = await engineOn(store, [parent, child]);
    const handle = await engine.start(parent, undefined, { id: "p", timeoutMs: 40 });
    await expect(handle.status()).resolves.toMatchObject({
      deadlineAt: expect.any(Date) as unknown,
    });
    await expect(handle.result()).rejects.toBeInstanceOf(WorkflowCancelledError);
    const kid = await engine.retrieve("p:0").status();
    expect(kid.status).toBe("CANCELLED");
    expect(kid.deadlineAt).toEqual((await handle.status()).deadlineAt);
  });
});

describe("resume", () => {
  it("runs a cancelled workflow again from its last completed step", async () => {
    const runs: string[] = [];
    const opened = gate();
    const first = step("first", () => runs.push("first"));
    const second = step("second", async () => {
      runs.push("second");
      await opened.wait;
      return "done";
    });
    const flow = workflow("resumable", async (ctx) => {
      await first(ctx);
      return second(ctx);
    });
    const { engine } = await engineOn(createMemoryStore(), [flow]);
    const handle = await engine.start(flow, undefined, { id: "r" });
    await vi.waitFor(() => expect(runs).toEqual(["first", "second"]));
    await engine.cancel("r");
    await expect(handle.result()).rejects.toBeInstanceOf(WorkflowCancelledError);
    opened.open();
    const resumed = await engine.resume("r");
    await expect(resumed.result()).resolves.toBe("done");
    expect(runs).toEqual(["first", "second", "second"]);
  });

  it("re-runs the failed step of a failed workflow, keeping earlier checkpoints", async () => {
    let failing = true;
    let firstRuns = 0;
    const first = step("first", () => ++firstRuns);
    const flaky = step("flaky", () => {
      if (failing) throw new Error("down");
      return "up";
    });
    const flow = workflow("fails-once", async (ctx) => [await first(ctx), await flaky(ctx)]);
    const { engine } = await engineOn(createMemoryStore(), [flow]);
    await expect(engine.run(flow, undefined, { id: "f" })).rejects.toThrow("down");
    failing = false;
    await expect((await engine.resume("f")).result()).resolves.toEqual([1, "up"]);
    expect(firstRuns).toBe(1);
  });

  it("resumes a dead-lettered workflow", async () => {
    const store = createMemoryStore();
    let poison = true;
    const flow = workflow({ name: "was-poison", maxRecoveryAttempts: 1 }, async () => {
      if (poison) await forever();
      return "healed";
    });
    await (await engineOn(view(store), [flow])).engine.start(flow, undefined, { id: "d" });
    await engineOn(view(store), [flow]);
    const last = await engineOn(store, [flow]);
    expect(last.report.deadLettered).toEqual(["d"]);
    poison = false;
    await expect((await last.engine.resume("d")).result()).resolves.toBe("healed");
  });
});

describe("fork", () => {
  it("copies the checkpoints before fromStep and runs the rest again", async () => {
    const counts: Record<string, number> = { a: 0, b: 0, c: 0 };
    const make = (name: string) => step(name, () => `${name}${++counts[name]!}`);
    const [a, b, c] = [make("a"), make("b"), make("c")];
    const flow = workflow("forkable", async (ctx, tag: string) => [
      tag,
      await a(ctx),
      await b(ctx),
      await c(ctx),
    ]);
    const { engine } = await engineOn(createMemoryStore(), [flow]);
    await expect(engine.run(flow, "x", { id: "orig" })).resolves.toEqual(["x", "a1", "b1", "c1"]);
    const forked = await engine.fork("orig", { fromStep: 1, id: "copy" });
    await expect(forked.result()).resolves.toEqual(["x", "a1", "b2", "c2"]);
    await expect(forked.status()).resolves.toMatchObject({ forkedFrom: "orig" });
  });
});

describe("inspection and the client", () => {
  it("lists workflows by status and name, and lists a workflow's steps", async () => {
    const store = createMemoryStore();
    const ok = workflow("ok", async (ctx) => step("s", () => 1)(ctx));
    const bad = workflow("bad", async () => {
      throw new Error("nope");
    });
    const { engine } = await engineOn(store, [ok, bad]);
    await engine.run(ok, undefined, { id: "ok-1" });
    await engine.run(bad, undefined, { id: "bad-1" }).catch(() => undefined);
    const failed = await engine.listWorkflows({ status: "ERROR" });
    expect(failed.map((w) => [w.workflowId, (w.error as Error).message])).toEqual([
      ["bad-1", "nope"],
    ]);
    expect((await engine.listWorkflows({ name: "ok" })).map((w) => w.output)).toEqual([1]);
    const steps = await engine.listSteps("ok-1");
    expect(steps).toMatchObject([
      { position: 0, name: "s", output: 1, error: undefined, attempts: 1 },
    ]);
  });

  it("starts, messages and awaits workflows from a client that registers none", async () => {
    const store = createMemoryStore();
    const greeter = workflow(
      "greeter",
      async (ctx, name: string) => `${String(await ctx.recv("greeting"))}, ${name}`,
    );
    const { engine } = await engineOn(view(store), [greeter]);
    const client = createClient({ store: view(store), pollIntervalMs: 50 });
    const handle = await client.start<typeof greeter>("greeter", "Ada", { id: "g" });
    await client.send("g", "greeting", "Hello");
    await expect(handle.result()).resolves.toBe("Hello, Ada");
    await expect(client.listWorkflows({ name: "greeter" })).resolves.toHaveLength(1);
    await client.close();
    await engine.shutdown();
  });
});
