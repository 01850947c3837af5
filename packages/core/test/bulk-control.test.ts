/**
 * Cancel and resume many at once, from the engine and the client (memory store): selection by
 * IDs or by a listing filter, descendants cascading, resumed workflows run again, what was
 * skipped and why, one store call per batch, and a filter that selects nothing refused.
 */
import { afterEach, describe, expect, it } from "vitest";
import {
  createClient,
  createEngine,
  InvalidOptionError,
  step,
  workflow,
  WorkflowCancelledError,
  type AnyWorkflow,
  type Engine,
  type WorkflowStore,
} from "../src/index.js";
import { createMemoryStore } from "../src/testing/index.js";
import { recordingLogger } from "./support.js";

const napChild = workflow("bulk.nap-child", async (ctx) => ctx.sleep("1h"));
const napper = workflow("bulk.napper", async (ctx) => {
  await ctx.start(napChild, undefined);
  await ctx.sleep("1h");
});
const broken = new Set<string>();
const flaky = step.withContext("bulk.flaky", ({ workflowId }) => {
  if (broken.has(workflowId)) throw new Error("down");
  return "up";
});
const fragile = workflow("bulk.fragile", async (ctx) => flaky(ctx));
const quick = workflow("bulk.quick", async () => "done");
const all: AnyWorkflow[] = [napChild, napper, fragile, quick];

const engines: Engine[] = [];
afterEach(async () => {
  for (const engine of engines.splice(0)) await engine.shutdown();
});

async function launch(store: WorkflowStore = createMemoryStore(), executorId = "bulk-a") {
  const engine = createEngine({ store, workflows: all, executorId, logger: recordingLogger() });
  engines.push(engine);
  await engine.launch();
  return engine;
}

/** Starts a napper and waits until its child runs too. */
async function napping(engine: Engine, id: string, attributes = {}) {
  const handle = await engine.start(napper, undefined, { id, attributes });
  await expect.poll(async () => (await engine.listSteps(id)).length).toBe(2);
  return handle;
}

describe("cancelMany", () => {
  it("cancels the workflows named and their children, and says which it skipped and why", async () => {
    const engine = await launch();
    const [n1, n2] = [await napping(engine, "n1"), await napping(engine, "n2")];
    await engine.run(quick, undefined, { id: "done" });

    const result = await engine.cancelMany({ workflowIds: ["n1", "n2", "done", "ghost"] });

    expect([...result.cancelled].sort()).toEqual(["n1", "n1:0", "n2", "n2:0"]);
    expect(result.skipped).toEqual(
      expect.arrayContaining([
        { workflowId: "done", reason: "status", status: "SUCCESS" },
        { workflowId: "ghost", reason: "not-found" },
      ]),
    );
    expect(result.skipped).toHaveLength(2);
    await expect(n1.result()).rejects.toBeInstanceOf(WorkflowCancelledError);
    await expect(n2.result()).rejects.toBeInstanceOf(WorkflowCancelledError);
    await expect(engine.retrieve("n1:0").result()).rejects.toBeInstanceOf(WorkflowCancelledError);
  });

  it("selects by a filter only what it can cancel, and leaves children with children: false", async () => {
    const engine = await launch();
    await napping(engine, "acme-1", { tenant: "acme" });
    await napping(engine, "other-1", { tenant: "other" });
    await engine.run(quick, undefined, { id: "acme-done", attributes: { tenant: "acme" } });

    const result = await engine.cancelMany({ attributes: { tenant: "acme" } }, { children: false });

    expect(result).toEqual({ cancelled: ["acme-1"], skipped: [] });
    expect((await engine.retrieve("acme-1:0").status()).status).toBe("PENDING");
    expect((await engine.retrieve("other-1").status()).status).toBe("PENDING");
  });

  it("goes through every match in batches of 500, one store call each", async () => {
    const store = createMemoryStore();
    for (let i = 0; i < 1_100; i++) {
      await store.createWorkflow({
        workflowId: `w-${String(i).padStart(4, "0")}`,
        name: "bulk.quick",
        input: "-1",
        executorId: "an-engine-elsewhere",
      });
    }
    const client = createClient({ store, logger: recordingLogger() });
    try {
      const result = await client.cancelMany({ name: "bulk.quick" });
      expect(result.cancelled).toHaveLength(1_100);
      expect(store.calls.cancelWorkflows).toBe(3);
      const limited = await client.resumeMany({ status: "CANCELLED", limit: 10 });
      expect(limited.resumed).toHaveLength(10);
    } finally {
      await client.close();
    }
  });

  it("refuses a filter that selects nothing by, and cancels nothing", async () => {
    const engine = await launch();
    await napping(engine, "kept");
    await expect(engine.cancelMany({})).rejects.toBeInstanceOf(InvalidOptionError);
    await expect(engine.cancelMany({ limit: 5, order: "desc" })).rejects.toBeInstanceOf(
      InvalidOptionError,
    );
    await expect(engine.resumeMany({ loadInput: false })).rejects.toBeInstanceOf(
      InvalidOptionError,
    );
    await expect(engine.cancelMany({ attributes: {} })).rejects.toBeInstanceOf(InvalidOptionError);
    expect(await engine.cancelMany({ workflowIds: [] })).toEqual({ cancelled: [], skipped: [] });
    expect(await engine.cancelMany({ name: [] })).toEqual({ cancelled: [], skipped: [] });
    await expect(engine.cancelMany({ limit: -1, name: "x" })).rejects.toBeInstanceOf(
      InvalidOptionError,
    );
    expect((await engine.retrieve("kept").status()).status).toBe("PENDING");
  });
});

describe("resumeMany", () => {
  it("runs the failed workflows a filter selects again, here, and skips the rest", async () => {
    const engine = await launch();
    for (const id of ["f1", "f2"]) {
      broken.add(id);
      await expect(engine.run(fragile, undefined, { id })).rejects.toThrow("down");
      broken.delete(id);
    }
    await engine.run(fragile, undefined, { id: "fine" });

    const result = await engine.resumeMany({ name: "bulk.fragile", status: ["ERROR", "SUCCESS"] });

    expect([...result.resumed].sort()).toEqual(["f1", "f2"]);
    expect(result.skipped).toEqual([{ workflowId: "fine", reason: "status", status: "SUCCESS" }]);
    await expect(engine.retrieve("f1").result()).resolves.toBe("up");
    await expect(engine.retrieve("f2").result()).resolves.toBe("up");
  });

  it("from a client, leaves what it resumed to a live engine (or the one named)", async () => {
    const store = createMemoryStore();
    const engine = await launch(store, "bulk-b");
    broken.add("c1");
    await expect(engine.run(fragile, undefined, { id: "c1" })).rejects.toThrow("down");
    broken.delete("c1");
    const client = createClient({ store, logger: recordingLogger(), pollIntervalMs: 20 });
    try {
      const result = await client.resumeMany({ workflowIds: ["c1"] }, { executorId: "bulk-b" });
      expect(result).toEqual({ resumed: ["c1"], skipped: [] });
      await expect(client.retrieve("c1").result()).resolves.toBe("up");
    } finally {
      await client.close();
    }
  });
});
