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
