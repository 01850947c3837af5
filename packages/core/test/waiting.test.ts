import { describe, expect, it } from "vitest";
import {
  createClient,
  createEngine,
  ResultTimeoutError,
  workflow,
  type WorkflowStore,
} from "../src/index.js";
import { createMemoryStore } from "../src/testing/index.js";
import { recordingLogger } from "./support.js";

const view = (store: WorkflowStore): WorkflowStore => ({ ...store, close: async () => undefined });

const waiter = workflow("waiter", async (ctx, label: string) => {
  await ctx.recv("go");
  return label;
});

describe("waiting from outside a workflow (memory store)", () => {
  it("times out a result, then waits for the first and for all, from an engine and a client", async () => {
    const store = createMemoryStore();
    const engine = createEngine({
      store: view(store),
      workflows: [waiter],
      logger: recordingLogger(),
    });
    await engine.launch();
    const client = createClient({ store: view(store), logger: recordingLogger() });
    try {
      const handles = [];
      for (const id of ["a", "b"]) handles.push(await engine.start(waiter, id, { id }));
      await expect(handles[0]!.result({ timeoutMs: 20 })).rejects.toBeInstanceOf(
        ResultTimeoutError,
      );
      const first = client.waitFirst(handles.map((h) => client.retrieve(h.workflowId)));
      await engine.send("b", "go", 1);
      expect((await first).workflowId).toBe("b");
      const all = engine.waitAll(handles);
      await client.send("a", "go", 1);
      expect((await all).map((h) => h.workflowId)).toEqual(["a", "b"]);
      await expect(handles[0]!.result({ timeoutMs: 20 })).resolves.toBe("a");
    } finally {
      await client.close();
      await engine.shutdown();
    }
  });
});

describe("waiting for many workflows (memory store)", () => {
  it("re-reads only the workflows whose run ended, not every open one at each wake-up", async () => {
    const store = createMemoryStore();
    const reads = { rows: 0 };
    const counted: WorkflowStore = {
      ...view(store),
      listWorkflows: (async (filter: Parameters<WorkflowStore["listWorkflows"]>[0]) => {
        const rows = await store.listWorkflows(filter);
        reads.rows += rows.length;
        return rows;
      }) as WorkflowStore["listWorkflows"],
    };
    // A poll interval longer than the test: the re-reads are the ones wake-ups ask for.
    const engine = createEngine({
      store: counted,
      workflows: [waiter],
      logger: recordingLogger(),
      pollIntervalMs: 600_000,
    });
    await engine.launch();
    try {
      const n = 200;
      const handles = [];
      for (let i = 0; i < n; i++)
        handles.push(await engine.start(waiter, `w${i}`, { id: `w${i}` }));
      const before = reads.rows;
      const all = engine.waitAll(handles);
      await expect.poll(() => reads.rows - before).toBeGreaterThanOrEqual(n); // all, once
      for (const h of handles) {
        await engine.send(h.workflowId, "go", 1);
        await h.result();
      }
      expect((await all).length).toBe(n);
      // Runs ending one at a time, each waking the wait: re-reading every open workflow at each
      // wake-up read ~n²/2 = 20,100 rows. Reading those whose run ended reads each about once,
      // plus a whole read whenever the (doubling) poll wait passed since the last one.
      expect(reads.rows - before).toBeLessThan(8 * n);
    } finally {
      await engine.shutdown();
    }
  });
});
