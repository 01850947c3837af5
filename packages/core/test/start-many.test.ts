/**
 * `engine.startMany` and `client.startMany`: one store write for the batch, each created
 * workflow run (by this engine, or by the engine that picks a client's up), existing IDs
 * answered with their handles, and a bad item refused by index with nothing written.
 */
import { describe, expect, it, vi } from "vitest";
import { z } from "zod";
import {
  createClient,
  createEngine,
  InvalidOptionError,
  StartItemsInvalidError,
  ValidationError,
  workflow,
  WorkflowConflictError,
  type AnyWorkflow,
} from "../src/index.js";
import { createMemoryStore } from "../src/testing/index.js";
import { recordingLogger } from "./support.js";

let bodies = 0;
const square = workflow(
  { name: "square", input: z.object({ n: z.number().int() }) },
  async (_ctx, { n }) => {
    bodies += 1;
    return Promise.resolve(n * n);
  },
);
const other = workflow("other", async () => Promise.resolve("other"));

async function launched(workflows: AnyWorkflow[] = [square, other], store = createMemoryStore()) {
  const engine = createEngine({ store, workflows, logger: recordingLogger() });
  await engine.launch();
  return { engine, store };
}

describe("engine.startMany", () => {
  it("writes the batch with one store call and runs every workflow here, handles in order", async () => {
    const { engine, store } = await launched();
    const handles = await engine.startMany(square, [
      { input: { n: 2 }, id: "sq-2" },
      { input: { n: 3 } },
      { input: { n: 4 }, attributes: { tenant: "acme" }, timeoutMs: 60_000 },
    ]);
    expect(store.calls.createWorkflows).toBe(1);
    expect(store.calls.createWorkflow).toBe(0);
    expect(handles[0]?.workflowId).toBe("sq-2");
    expect(await Promise.all(handles.map((h) => h.result()))).toEqual([4, 9, 16]);
    const [third] = await engine.listWorkflows({ attributes: { tenant: "acme" } });
    expect(third?.workflowId).toBe(handles[2]?.workflowId);
    const stored = await store.getWorkflow(handles[2]?.workflowId ?? "");
    expect(stored?.deadlineAt).toBeGreaterThan(Date.now());
    await engine.shutdown();
  });

  it("answers an existing ID (also one earlier in the batch) with its handle and runs it once", async () => {
    const { engine } = await launched();
    await engine.run(square, { n: 5 }, { id: "five" });
    const before = bodies;
    const handles = await engine.startMany(square, [
      { input: { n: 6 }, id: "five" },
      { input: { n: 7 }, id: "seven" },
      { input: { n: 8 }, id: "seven" },
    ]);
    expect(await Promise.all(handles.map((h) => h.result()))).toEqual([25, 49, 49]);
    expect(bodies - before).toBe(1);
    await engine.shutdown();
  });

  it("refuses bad items by index, all of them at once, and writes nothing", async () => {
    const { engine, store } = await launched();
    const items = [
      { input: { n: 1 } },
      { input: { n: 1.5 } },
      { input: { n: 2 }, id: "" },
      { input: { n: 3 }, timeoutMs: -1 },
      null,
    ] as unknown as { input: { n: number } }[];
    const error = await engine.startMany(square, items).catch((e: unknown) => e);
    expect(StartItemsInvalidError.is(error)).toBe(true);
    const invalid = error as StartItemsInvalidError;
    expect(invalid.index).toBe(1);
    expect(invalid.workflowName).toBe("square");
    expect(invalid.items.map((i) => i.index)).toEqual([1, 2, 3, 4]);
    expect(ValidationError.is(invalid.items[0]?.error)).toBe(true);
    expect(invalid.items.slice(1).every((i) => InvalidOptionError.is(i.error))).toBe(true);
    expect(invalid.message).toContain("item 1 is invalid");
    expect(store.calls.createWorkflows).toBe(0);
    expect(await engine.listWorkflows()).toEqual([]);
    await engine.shutdown();
  });

  it("refuses an ID held by a workflow of another name and writes nothing", async () => {
    const { engine } = await launched();
    await engine.run(other, undefined, { id: "taken" });
    const started = engine.startMany(square, [
      { input: { n: 1 }, id: "a" },
      { input: { n: 2 }, id: "taken" },
    ]);
    await expect(started).rejects.toSatisfy(WorkflowConflictError.is);
    expect((await engine.listWorkflows()).map((w) => w.workflowId)).toEqual(["taken"]);
    await engine.shutdown();
  });

  it("refuses items that are not an array, and answers an empty batch without a write", async () => {
    const { engine, store } = await launched();
    const notArray = engine.startMany(square, {} as never);
    await expect(notArray).rejects.toSatisfy(InvalidOptionError.is);
    expect(await engine.startMany(square, [])).toEqual([]);
    expect(store.calls.createWorkflows).toBe(0);
    await engine.shutdown();
  });
});

describe("engine.startMany's bound on runs in memory", () => {
  it("runs at most runCapacity of its workflows at once; the rest wait PENDING in the store, and all run", async () => {
    let entered = 0;
    let active = 0;
    let most = 0;
    let open: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => (open = resolve));
    const gated = workflow("gated", async (_ctx, n: number) => {
      entered += 1;
      active += 1;
      most = Math.max(most, active);
      await gate;
      active -= 1;
      return n;
    });
    const store = createMemoryStore();
    const engine = createEngine({
      store,
      workflows: [gated],
      logger: recordingLogger(),
      runCapacity: 4,
      pollIntervalMs: 60_000, // nothing but the bound brings the rest here
    });
    await engine.launch();
    const items = Array.from({ length: 12 }, (_, n) => ({ input: n }));
    const handles = await engine.startMany(gated, items);
    await vi.waitFor(() => expect(entered).toBe(4));
    const pending = await store.listWorkflows({ status: "PENDING", limit: 100 });
    expect(pending).toHaveLength(12);
    open();
    expect(await Promise.all(handles.map((h) => h.result()))).toEqual(items.map((i) => i.input));
    expect(entered).toBe(12);
    expect(most).toBeLessThanOrEqual(4);
    await engine.shutdown();
  });

  it("leaves what it did not run PENDING for the next launch when the engine shuts down", async () => {
    let open: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => (open = resolve));
    let entered = 0;
    const gated = workflow("gated-2", async (_ctx, n: number) => {
      entered += 1;
      await gate;
      return n;
    });
    const store = createMemoryStore();
    const options = { store, workflows: [gated], logger: recordingLogger(), shutdownGraceMs: 0 };
    const kept = { ...store, close: () => Promise.resolve() }; // the next engine opens it again
    const engine = createEngine({
      ...options,
      store: kept,
      runCapacity: 2,
      pollIntervalMs: 60_000,
    });
    await engine.launch();
    const handles = await engine.startMany(
      gated,
      Array.from({ length: 6 }, (_, n) => ({ input: n })),
    );
    await vi.waitFor(() => expect(entered).toBe(2));
    expect(await store.listWorkflows({ status: "PENDING", limit: 100 })).toHaveLength(6);
    const stopping = engine.shutdown();
    open();
    await stopping;
    expect(entered).toBe(2); // nothing more started once the engine was shutting down
    const again = createEngine({ ...options, executorId: engine.executorId });
    await again.launch();
    const results = await again.waitAll(handles.map((h) => again.retrieve(h.workflowId)));
    expect(results).toHaveLength(6);
    await again.shutdown();
  });
});

describe("client.startMany", () => {
  it("writes the batch for the engines, which pick every workflow up and run it", async () => {
    const store = createMemoryStore();
    const { engine } = await launched([square, other], store);
    const client = createClient({ store, logger: recordingLogger() });
    const handles = await client.startMany<typeof square>("square", [
      { input: { n: 10 }, id: "ten" },
      { input: { n: 11 }, executorId: engine.executorId },
    ]);
    expect(store.calls.createWorkflows).toBe(1);
    expect(handles[0]?.workflowId).toBe("ten");
    expect(await Promise.all(handles.map((h) => h.result()))).toEqual([100, 121]);
    await client.close();
    await engine.shutdown();
  });

  it("is claimed by a running engine with a takeover per batch of claims, not one per workflow", async () => {
    const store = createMemoryStore();
    const engine = createEngine({
      store,
      workflows: [square],
      logger: recordingLogger(),
      pollIntervalMs: 60_000, // only the notifications bring the work here
    });
    await engine.launch();
    const client = createClient({ store, logger: recordingLogger() });
    const before = store.calls.takeOver;
    const items = Array.from({ length: 1_000 }, (_, n) => ({ input: { n } }));
    const handles = await client.startMany<typeof square>("square", items);
    expect(await engine.waitAll(handles)).toHaveLength(1_000);
    // Each takeover claims up to 100: ten that claim, and one that finds nothing left.
    expect(store.calls.takeOver - before).toBeLessThan(50);
    await client.close();
    await engine.shutdown();
  });

  it("refuses a bad item by index and writes nothing", async () => {
    const store = createMemoryStore();
    const client = createClient({ store, logger: recordingLogger() });
    const started = client.startMany("square", [{ input: { n: 1 } }, { input: () => 1 }] as never);
    await expect(started).rejects.toMatchObject({ code: "START_ITEMS_INVALID", index: 1 });
    expect(store.calls.createWorkflows).toBe(0);
    await client.close();
  });
});
