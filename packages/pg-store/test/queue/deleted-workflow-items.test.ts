/**
 * A workflow deleted by a statement that knows nothing of queue items — an engine older than
 * migration 0016 (its retention and deleteWorkflows relied on the foreign key's cascade), or an
 * operator's own `delete` — takes its queue item with it, on Postgres and PGlite: the trigger of
 * migration 0017 does what the cascade did. A left item would hold the workflow's ID and its
 * dedup key for ever: enqueues of either failed ("concurrent writes kept hiding the row") and a
 * fork to a queue under that ID hit queue_items_pkey.
 */
import { createClient, step, workflow } from "@cairn/core";
import { defineQueue } from "@cairn/queue";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import {
  Closers,
  engineBackends,
  quietLogger,
  type TestDatabase,
} from "../support/engine-databases.js";
import { launchQueueEngine } from "./support.js";

const upper = step("upper", async (label: string) => label.toUpperCase());
const job = workflow({ name: "job" }, async (ctx, label: string) => upper(ctx, label));

describe.each(engineBackends)("deleting workflows without their items on $name", (backend) => {
  const closers = new Closers();
  let db: TestDatabase;

  beforeAll(() => backend.open());
  afterAll(() => backend.close());
  afterEach(async () => {
    await closers.closeAll();
    await db.drop();
  });

  const items = async () =>
    db.query<{ workflow_id: string }>(
      "select workflow_id from {{schema}}.queue_items order by workflow_id",
    );

  it.skipIf(backend.skip)(
    "frees the deleted workflow's ID and dedup key for new enqueues",
    async () => {
      db = backend.database();
      // A rate limit keeps a finished workflow's item (and its dedup key) for its period.
      const q = defineQueue("jobs", { rateLimit: { limit: 10, periodMs: 3_600_000 } });
      const { engine } = await launchQueueEngine(db, { workflows: [job], serve: [q] });
      closers.add(engine, (e) => e.shutdown());
      const first = await q.enqueue(engine, job, "a", { id: "w1", dedupId: "k" });
      await expect(first.result()).resolves.toBe("A");
      expect(await items()).toEqual([{ workflow_id: "w1" }]);

      // What the retention of an engine before 0016 deletes: the workflow and its steps (its
      // events, messages and streams, none here), trusting the cascade for its item.
      await db.query("delete from {{schema}}.steps");
      await db.query("delete from {{schema}}.workflows");
      expect(await items()).toEqual([]);

      const again = await q.enqueue(engine, job, "b", { id: "w1" });
      const sameKey = await q.enqueue(engine, job, "c", { dedupId: "k" });
      expect(sameKey.workflowId).not.toBe("w1");
      await expect(again.result()).resolves.toBe("B");
      await expect(sameKey.result()).resolves.toBe("C");
    },
  );

  it.skipIf(backend.skip)(
    "lets a fork to a queue take the ID of a deleted fork again",
    async () => {
      db = backend.database();
      const { engine } = await launchQueueEngine(db, { workflows: [job] });
      closers.add(engine, (e) => e.shutdown());
      await engine.run(job, "s", { id: "s" });
      const client = closers.add(createClient({ store: db.store(), logger: quietLogger }), (c) =>
        c.close(),
      );
      await client.fork("s", { fromStep: 0, id: "f", queue: "reruns" });
      await db.query("delete from {{schema}}.workflows where workflow_id = 'f'");
      expect(await items()).toEqual([]);

      const fork = await client.fork("s", { fromStep: 0, id: "f", queue: "reruns" });
      expect(await fork.status()).toMatchObject({ status: "ENQUEUED", queueName: "reruns" });
      expect(await items()).toEqual([{ workflow_id: "f" }]);
    },
  );

  it.skipIf(backend.skip)(
    "deletes only the items of the deleted workflows, in one statement of many rows",
    async () => {
      db = backend.database();
      const q = defineQueue("waiting");
      const { engine } = await launchQueueEngine(db, { workflows: [job] });
      closers.add(engine, (e) => e.shutdown());
      await q.enqueueMany(
        engine,
        job,
        ["a", "b", "c", "d"].map((id) => ({ input: id, id })),
      );
      await db.query("delete from {{schema}}.workflows where workflow_id in ('a', 'c')");
      expect(await items()).toEqual([{ workflow_id: "b" }, { workflow_id: "d" }]);
      expect(await q.counts(engine)).toMatchObject({ ENQUEUED: 2 });
    },
  );
});
