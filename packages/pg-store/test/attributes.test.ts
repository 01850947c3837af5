/**
 * Workflow attributes on Postgres and PGlite, end to end: given at an engine's start, a client's
 * start and enqueue by name, a queue's enqueue and enqueueMany; found with the jsonb containment
 * filter; merged later by a client; a bad object refused before anything is written.
 */
import { createClient, createEngine, InvalidOptionError, workflow } from "@cairn/core";
import { defineQueue, withQueues } from "@cairn/queue";
import { describe, expect, it } from "vitest";
import type { PgStore } from "../src/index.js";
import { createPgQueueStore } from "../src/queue/index.js";
import {
  Closers,
  databasePerTest,
  engineBackends,
  quietLogger,
  type TestDatabase,
} from "./support/engine-databases.js";
import { launchQueueEngine } from "./queue/support.js";

const job = workflow("job", async (_ctx, n: number) => n + 1);
const jobs = defineQueue("jobs");

describe.each(engineBackends)("workflow attributes on $name", (backend) => {
  const closers = new Closers();
  let db: TestDatabase;

  databasePerTest(backend, closers, () => db);

  it.skipIf(backend.skip)(
    "are stored from every way in, found by containment and merged later",
    async () => {
      db = backend.database();
      const { engine } = await launchQueueEngine(db, { workflows: [job] });
      closers.add(engine, (e) => e.shutdown());
      const store = db.store();
      await store.migrate();
      const client = closers.add(
        withQueues(
          createClient({ store, logger: quietLogger }),
          createPgQueueStore(store as PgStore),
        ),
        (c) => c.close(),
      );
      await engine.run(job, 1, { id: "started", attributes: { tenant: "acme", kind: "start" } });
      await client.start("job", 2, { id: "client-started", attributes: { tenant: "acme" } });
      await client.enqueue("jobs", "job", 3, { id: "by-name", attributes: { tenant: "globex" } });
      await jobs.enqueue(engine, job, 4, { id: "queued", attributes: { tenant: "acme", n: 4 } });
      await jobs.enqueueMany(engine, job, [
        { input: 5, id: "many-1", attributes: { tenant: "acme", batch: [1, 2] } },
        { input: 6, id: "many-2" },
      ]);
      const found = async (attributes: Record<string, unknown>) =>
        (await client.listWorkflows({ attributes: attributes as never }))
          .map((w) => w.workflowId)
          .sort();
      expect(await found({ tenant: "acme" })).toEqual([
        "client-started",
        "many-1",
        "queued",
        "started",
      ]);
      expect(await found({ batch: [2] })).toEqual(["many-1"]);
      expect(await found({ n: "4" })).toEqual([]);
      expect(await client.setAttributes("by-name", { tenant: "acme" }, { merge: true })).toEqual({
        tenant: "acme",
      });
      expect(await found({ tenant: "acme" })).toContain("by-name");
      const [status] = await engine.listWorkflows({ workflowIds: ["queued"] });
      expect(status?.attributes).toEqual({ tenant: "acme", n: 4 });
    },
  );

  it.skipIf(backend.skip)("refuses a bad object before anything is written", async () => {
    db = backend.database();
    const store = db.store();
    const engine = closers.add(
      createEngine({ store, workflows: [job], logger: quietLogger }),
      (e) => e.shutdown(),
    );
    await engine.launch();
    const client = closers.add(
      withQueues(
        createClient({ store: db.store(), logger: quietLogger }),
        createPgQueueStore(store as PgStore),
      ),
      (c) => c.close(),
    );
    const attempts = [
      () => engine.start(job, 1, { id: "a", attributes: { s: "nul\u0000" } }),
      () => client.enqueue("jobs", "job", 1, { id: "b", attributes: { f: () => 1 } as never }),
      () => client.start("job", 1, { id: "c", attributes: "tenant" as never }),
    ];
    for (const attempt of attempts) await expect(attempt()).rejects.toThrow(InvalidOptionError);
    expect(await engine.listWorkflows({})).toEqual([]);
  });
});
