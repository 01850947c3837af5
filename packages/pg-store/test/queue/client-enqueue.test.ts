/**
 * Enqueueing by name from a client (no engine, no workflow code), on Postgres and PGlite: the
 * serving engine runs it and the client awaits it; partition keys are checked against the
 * definition serving engines recorded; dedup and ID conflicts give the same typed errors as an
 * engine's enqueue; nothing is written when an option is bad. A client in a separate process:
 * `client-process.test.ts`.
 */
import { InvalidOptionError, WorkflowConflictError, createClient, workflow } from "@cairn/core";
import { defineQueue, DuplicateDedupIdError, withQueues, type QueueClient } from "@cairn/queue";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { createPgQueueStore } from "../../src/queue/index.js";
import type { PgStore } from "../../src/index.js";
import { Closers, engineBackends, type TestDatabase } from "../support/engine-databases.js";
import { launchQueueEngine } from "./support.js";

const greet = workflow(
  { name: "greet" },
  async (_ctx, input: { name: string }) => `hi ${input.name}`,
);
const other = workflow({ name: "other" }, async () => "other");
const workflows = [greet, other];

describe.each(engineBackends)("a client enqueueing on $name", (backend) => {
  const closers = new Closers();
  let db: TestDatabase;

  beforeAll(() => backend.open());
  afterAll(() => backend.close());
  afterEach(async () => {
    await closers.closeAll();
    await db.drop();
  });

  const openClient = async (): Promise<QueueClient> => {
    const store = db.store();
    await store.migrate();
    return closers.add(
      withQueues(createClient({ store }), createPgQueueStore(store as PgStore)),
      (c) => c.close(),
    );
  };
  const launch = async (options: Parameters<typeof launchQueueEngine>[1]) => {
    const launched = await launchQueueEngine(db, options);
    closers.add(launched.engine, (e) => e.shutdown());
    return launched;
  };

  it.skipIf(backend.skip)(
    "enqueues by name; the serving engine runs it; the client awaits it",
    async () => {
      db = backend.database();
      const client = await openClient();
      const handle = await client.enqueue<typeof greet>("greetings", "greet", { name: "Ada" });
      expect((await handle.status()).status).toBe("ENQUEUED");
      await launch({ workflows, serve: [defineQueue("greetings")] });
      await expect(handle.result()).resolves.toBe("hi Ada");
      expect((await handle.status()).queueName).toBe("greetings");
    },
  );

  it.skipIf(backend.skip)(
    "checks partition keys against the definition that serving engines recorded",
    async () => {
      db = backend.database();
      const client = await openClient();
      // Not served yet: any key is taken.
      await client.enqueue("tenants", "greet", { name: "early" }, { partitionKey: "t1" });
      await launch({
        workflows,
        serve: [defineQueue("tenants", { partitioned: true }), defineQueue("flat")],
      });
      await expect(client.enqueue("tenants", "greet", { name: "x" })).rejects.toMatchObject({
        code: "INVALID_OPTION",
        option: "partitionKey",
      });
      await expect(
        client.enqueue("flat", "greet", { name: "x" }, { partitionKey: "t1" }),
      ).rejects.toThrow(InvalidOptionError);
      const ok = await client.enqueue<typeof greet>(
        "tenants",
        "greet",
        { name: "t" },
        {
          partitionKey: "t2",
        },
      );
      await expect(ok.result()).resolves.toBe("hi t");
      expect(await client.counts("flat")).toMatchObject({ ENQUEUED: 0 }); // nothing was written
    },
  );

  it.skipIf(backend.skip)(
    "rejects duplicates and ID conflicts as an engine's enqueue does",
    async () => {
      db = backend.database();
      const client = await openClient();
      const first = await client.enqueue("d", "greet", { name: "1" }, { dedupId: "k" });
      const again = await client.enqueue("d", "greet", { name: "2" }, { dedupId: "k" });
      expect(again.workflowId).toBe(first.workflowId);
      await expect(
        client.enqueue("d", "greet", { name: "3" }, { dedupId: "k", onDuplicate: "reject" }),
      ).rejects.toThrow(DuplicateDedupIdError);
      await client.enqueue("d", "greet", { name: "4" }, { id: "fixed" });
      await expect(client.enqueue("d", "other", undefined, { id: "fixed" })).rejects.toThrow(
        WorkflowConflictError,
      );
      await expect(client.enqueue("", "greet", { name: "x" })).rejects.toThrow(InvalidOptionError);
      await expect(client.enqueue("d", "", { name: "x" })).rejects.toThrow(InvalidOptionError);
      await expect(client.enqueue("d", "greet", { name: "x" }, { priority: 0.5 })).rejects.toThrow(
        InvalidOptionError,
      );
      expect(await client.counts("d")).toMatchObject({ ENQUEUED: 2 });
    },
  );
});
