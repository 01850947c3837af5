/**
 * Deleting finished workflows from an engine and a client, on Postgres and PGlite: a parent goes
 * with its child and everything recorded for both; a running workflow is left; bad IDs are a
 * typed error. The store side (every table, descendants) is in the contract suite.
 */
import {
  createClient,
  createEngine,
  InvalidOptionError,
  workflow,
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

const child = workflow("child", async (ctx, n: number) => {
  await ctx.setEvent("seen", n);
  return n * 2;
});
const parent = workflow("parent", async (ctx, n: number) => {
  const handle = await ctx.start(child, n);
  return handle.result();
});
const waiter = workflow("waiter", async (ctx) => ctx.recv("go"));

describe.each(engineBackends)("deleting workflows on $name", (backend) => {
  const closers = new Closers();
  let db: TestDatabase;
  let engine: Engine;
  let client: Client;

  databasePerTest(backend, closers, () => db);

  it.skipIf(backend.skip)(
    "deletes a finished parent with its child and leaves a running workflow",
    async () => {
      db = backend.database();
      engine = closers.add(
        createEngine({
          store: db.store(),
          workflows: [parent, child, waiter],
          logger: quietLogger,
        }),
        (e) => e.shutdown(),
      );
      await engine.launch();
      client = closers.add(createClient({ store: db.store(), logger: quietLogger }), (c) =>
        c.close(),
      );
      await expect(engine.run(parent, 21, { id: "p" })).resolves.toBe(42);
      await engine.start(waiter, undefined, { id: "w" });
      const [childInfo] = await client.listWorkflows({ name: "child" });
      const childId = childInfo?.workflowId ?? "";

      expect((await client.deleteWorkflows(["p", "w"])).sort()).toEqual([childId, "p"].sort());
      expect(await client.listWorkflows({ workflowIds: ["p", childId] })).toEqual([]);
      expect(await client.listSteps("p")).toEqual([]);
      expect(await client.getEvent(childId, "seen")).toBeUndefined();
      for (const table of ["steps", "events", "event_history"]) {
        const rows = await db.query<{ n: number }>(
          `select count(*)::int as n from {{schema}}.${table}
           where workflow_id in ('p', '${childId}')`,
        );
        expect(rows[0]?.n, table).toBe(0);
      }
      expect((await client.retrieve("w").status()).status).toBe("PENDING");

      await client.send("w", "go", 1);
      await client.retrieve("w").result();
      expect(await engine.deleteWorkflows(["w"], { children: false })).toEqual(["w"]);
      await expect(client.deleteWorkflows([""])).rejects.toThrow(InvalidOptionError);
    },
  );
});
