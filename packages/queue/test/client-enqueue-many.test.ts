/**
 * A client's `enqueueMany` (by name, no workflow code) on the memory stores: every item
 * written in one store call in the order given and run by a serving engine; existing IDs and
 * live dedup holders answered with their handles; a bad item refused by index with nothing written.
 */
import { createClient, createEngine, workflow, type Engine } from "@cairn/core";
import { createMemoryStore } from "@cairn/core/testing";
import { afterEach, describe, expect, it } from "vitest";
import {
  createQueues,
  defineQueue,
  EnqueueItemsInvalidError,
  withQueues,
  type Queue,
  type QueueStore,
} from "../src/index.js";
import { createMemoryQueueStore } from "../src/testing/index.js";

const quiet = { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} };
const shout = workflow({ name: "shout" }, async (_ctx, word: string) =>
  Promise.resolve(word.toUpperCase()),
);

const engines: Engine[] = [];
afterEach(async () => {
  await Promise.all(engines.splice(0).map((e) => e.shutdown()));
});

async function launch(store: ReturnType<typeof createMemoryStore>, serve: readonly Queue[]) {
  const engine = createEngine({
    store,
    workflows: [shout],
    logger: quiet,
    plugins: [createQueues({ store: createMemoryQueueStore(store), serve, shutdownGraceMs: 0 })],
    shutdownGraceMs: 0,
  });
  engines.push(engine);
  await engine.launch();
  return engine;
}

/** A client over `store`, counting its queue store's enqueue calls. */
function clientOn(store: ReturnType<typeof createMemoryStore>) {
  const inner = createMemoryQueueStore(store);
  const calls = { enqueue: 0, enqueueMany: 0 };
  const queues: QueueStore = {
    ...inner,
    enqueue: (...args) => ((calls.enqueue += 1), inner.enqueue(...args)),
    enqueueMany: (...args) => ((calls.enqueueMany += 1), inner.enqueueMany(...args)),
  };
  return { client: withQueues(createClient({ store, logger: quiet }), queues), calls };
}

describe("a client's enqueueMany", () => {
  it("enqueues every item in one store call; a serving engine runs them", async () => {
    const store = createMemoryStore();
    const { client, calls } = clientOn(store);
    const handles = await client.enqueueMany<typeof shout>("words", "shout", [
      { input: "a", id: "w-a" },
      { input: "b", priority: 1 },
      { input: "c", attributes: { tenant: "acme" } },
    ]);
    expect(calls.enqueueMany).toBe(1);
    expect(calls.enqueue).toBe(0);
    expect(handles[0]?.workflowId).toBe("w-a");
    expect((await handles[1]?.status())?.status).toBe("ENQUEUED");
    await launch(store, [defineQueue("words")]);
    expect(await Promise.all(handles.map((h) => h.result()))).toEqual(["A", "B", "C"]);
    await client.close();
  });

  it("gives an existing ID and a live dedup holder (also an earlier item) their handles", async () => {
    const store = createMemoryStore();
    const { client } = clientOn(store);
    const [first] = await client.enqueueMany("words", "shout", [{ input: "x", id: "held" }]);
    const handles = await client.enqueueMany("words", "shout", [
      { input: "y", id: "held" },
      { input: "d1", dedupId: "k" },
      { input: "d2", dedupId: "k" },
    ]);
    expect(handles[0]?.workflowId).toBe(first?.workflowId);
    expect(handles[2]?.workflowId).toBe(handles[1]?.workflowId);
    await client.close();
  });

  it("refuses bad items by index and writes nothing", async () => {
    const store = createMemoryStore();
    const { client, calls } = clientOn(store);
    const error = await client
      .enqueueMany("words", "shout", [
        { input: "ok" },
        { input: "bad", priority: 1.5 },
        { input: "dup", onDuplicate: "reject" } as never,
        { input: "id", id: "" },
      ])
      .catch((e: unknown) => e);
    expect(EnqueueItemsInvalidError.is(error)).toBe(true);
    expect(error).toMatchObject({ index: 1, queueName: "words" });
    expect((error as EnqueueItemsInvalidError).items.map((i) => i.index)).toEqual([1, 2, 3]);
    expect(calls.enqueueMany).toBe(0);
    expect(await client.listWorkflows()).toEqual([]);
    await client.close();
  });
});
