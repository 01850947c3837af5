/**
 * Waiting from outside a workflow, on Postgres and PGlite, from an engine and from a client on
 * its own store (another connection): `handle.result({ timeoutMs })` gives up with
 * `ResultTimeoutError` while the workflow keeps running, `waitFirst` resolves with the one that
 * finished, `waitAll` with all of them (or times out naming those still running). The workflows
 * finish only when the test sends them a message, so nothing depends on timing: a timeout can
 * only be reached by waiting for a workflow that cannot finish.
 */
import {
  createClient,
  createEngine,
  InvalidOptionError,
  ResultTimeoutError,
  workflow,
  WorkflowNotFoundError,
  type Client,
  type Engine,
} from "@cairn/core";
import { describe, expect, it } from "vitest";
import {
  Closers,
  databasePerTest,
  engineBackends,
  quietLogger,
  type TestDatabase,
} from "./support/engine-databases.js";

const waiter = workflow("waiter", async (ctx, label: string) => {
  const verdict = await ctx.recv("go");
  if (verdict === "fail") throw new Error(`${label} failed`);
  return `${label} done`;
});

describe.each(engineBackends)("waiting from outside on $name", (backend) => {
  const closers = new Closers();
  let db: TestDatabase;
  let engine: Engine;
  let client: Client;

  databasePerTest(backend, closers, () => db);

  const setUp = async () => {
    db = backend.database();
    engine = closers.add(
      createEngine({ store: db.store(), workflows: [waiter], logger: quietLogger }),
      (e) => e.shutdown(),
    );
    await engine.launch();
    client = closers.add(createClient({ store: db.store(), logger: quietLogger }), (c) =>
      c.close(),
    );
  };

  it.skipIf(backend.skip)(
    "result({ timeoutMs }) gives up with ResultTimeoutError and the workflow keeps running",
    async () => {
      await setUp();
      const handle = await engine.start(waiter, "a", { id: "a" });
      const fromClient = client.retrieve<typeof waiter>("a");
      for (const h of [handle, fromClient]) {
        const error = await h.result({ timeoutMs: 50 }).catch((e: unknown) => e);
        expect(ResultTimeoutError.is(error)).toBe(true);
        expect(error).toMatchObject({ code: "RESULT_TIMEOUT", workflowIds: ["a"], timeoutMs: 50 });
      }
      expect((await fromClient.status()).status).toBe("PENDING");
      await client.send("a", "go", "ok");
      await expect(fromClient.result({ timeoutMs: "1m" })).resolves.toBe("a done");
      await expect(handle.result({ timeoutMs: 0 })).resolves.toBe("a done");
    },
  );

  it.skipIf(backend.skip)("waitFirst resolves with the handle that finished first", async () => {
    await setUp();
    const handles = [];
    for (const id of ["w1", "w2", "w3"]) handles.push(await engine.start(waiter, id, { id }));
    const fromClient = ["w1", "w2", "w3"].map((id) => client.retrieve<typeof waiter>(id));
    const first = client.waitFirst(fromClient);
    const firstHere = engine.waitFirst(handles);
    await client.send("w2", "go", "ok");
    expect((await first).workflowId).toBe("w2");
    expect((await firstHere).workflowId).toBe("w2");
    await expect((await first).result()).resolves.toBe("w2 done");
    // A failure is finishing too.
    await client.send("w3", "go", "fail");
    const next = await client.waitFirst([fromClient[0]!, fromClient[2]!]);
    expect(next.workflowId).toBe("w3");
    await expect(next.result()).rejects.toThrow("w3 failed");
  });

  it.skipIf(backend.skip)(
    "waitAll resolves once all finished, or times out naming the ones still running",
    async () => {
      await setUp();
      const ids = ["x1", "x2", "x3"];
      const handles = [];
      for (const id of ids) handles.push(await engine.start(waiter, id, { id }));
      await client.send("x1", "go", "ok");
      await client.send("x3", "go", "ok");
      const error = await client
        .waitAll(
          ids.map((id) => client.retrieve(id)),
          { timeoutMs: 100 },
        )
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ResultTimeoutError);
      expect((error as ResultTimeoutError).workflowIds).toEqual(["x2"]);

      const all = engine.waitAll(handles);
      await client.send("x2", "go", "ok");
      const done = await all;
      expect(done.map((h) => h.workflowId)).toEqual(ids);
      expect(await Promise.all(done.map((h) => h.result()))).toEqual([
        "x1 done",
        "x2 done",
        "x3 done",
      ]);
      await expect(client.waitAll(ids.map((id) => client.retrieve(id)))).resolves.toHaveLength(3);
    },
  );

  it.skipIf(backend.skip)("refuses unknown IDs, no handles and bad timeouts", async () => {
    await setUp();
    await expect(client.waitFirst([client.retrieve("nope")])).rejects.toThrow(
      WorkflowNotFoundError,
    );
    await expect(client.waitAll([])).rejects.toThrow(InvalidOptionError);
    await engine.start(waiter, "t", { id: "t" });
    await expect(client.retrieve("t").result({ timeoutMs: -1 })).rejects.toThrow(
      InvalidOptionError,
    );
    await client.send("t", "go", "ok");
  });
});
