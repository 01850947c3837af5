/**
 * The `{ tx }` options on a store that has no database transactions (the memory store): refused
 * with `InvalidOptionError` before anything is written. The Postgres and PGlite behaviour is in
 * pg-store's outbox tests.
 */
import { describe, expect, it } from "vitest";
import { createClient, createEngine, InvalidOptionError, workflow } from "../src/index.js";
import { createMemoryStore } from "../src/testing/index.js";
import { recordingLogger } from "./support.js";

const greet = workflow("greet", async (_ctx, name: string) => `hello ${name}`);

describe("work started in a caller's transaction, on the memory store", () => {
  it("refuses a tx for start, send and client.start, and writes nothing", async () => {
    const store = createMemoryStore();
    const engine = createEngine({ store, workflows: [greet], logger: recordingLogger() });
    await engine.launch();
    const tx = { query: () => undefined };
    await expect(engine.start(greet, "a", { id: "g1", tx })).rejects.toBeInstanceOf(
      InvalidOptionError,
    );
    const client = createClient({ store: createMemoryStore(), logger: recordingLogger() });
    await expect(client.start("greet", "b", { id: "g2", tx })).rejects.toBeInstanceOf(
      InvalidOptionError,
    );
    await engine.run(greet, "c", { id: "g3" });
    await expect(engine.send("g3", "topic", "hi", { tx })).rejects.toBeInstanceOf(
      InvalidOptionError,
    );
    expect((await engine.listWorkflows()).map((w) => w.workflowId)).toEqual(["g3"]);
    await client.close();
    await engine.shutdown();
  });
});
