/**
 * Queues changed at runtime, on Postgres and PGlite: limits stored and applied at the next claim
 * in every process (claims made here on a separate store stand for "another process"), a
 * queue-wide cap beside per-partition limits, the queues listed with their recorded definition,
 * and the priority and start time of a workflow still waiting in its queue. Enqueues come from a
 * client (`withQueues`), which runs no engine.
 */
import { InvalidOptionError, createClient, step, workflow } from "@cairn/core";
import {
  defineQueue,
  withQueues,
  WorkflowNotWaitingError,
  type ClaimRequest,
  type QueueClient,
  type QueueStore,
} from "@cairn/queue";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { createPgQueueStore } from "../../src/queue/index.js";
import type { PgStore } from "../../src/index.js";
import { Closers, engineBackends, type TestDatabase } from "../support/engine-databases.js";
import { Gate, eventually, launchQueueEngine } from "./support.js";

let gates = new Map<string, Gate>();
const work = step("work", async (label: string) => {
  await gates.get(label)?.pass();
  return label.toUpperCase();
});
const job = workflow({ name: "job" }, async (ctx, label: string) => work(ctx, label));

describe.each(engineBackends)("queues changed at runtime on $name", (backend) => {
  const closers = new Closers();
  let db: TestDatabase;

  beforeAll(() => backend.open());
  afterAll(() => backend.close());
  afterEach(async () => {
    for (const gate of gates.values()) gate.release();
    await closers.closeAll();
    await db.drop();
    gates = new Map();
  });

  /** A client and its queue store on a store of its own ("another process"). */
  const openClient = async (): Promise<{ client: QueueClient; queueStore: QueueStore }> => {
    const store = db.store();
    await store.migrate();
    const queueStore = createPgQueueStore(store as PgStore);
    const client = closers.add(withQueues(createClient({ store }), queueStore), (c) => c.close());
    return { client, queueStore };
  };

  /** A claim by an executor that is not running, for `max` items. */
  const claimIds = async (
    queueStore: QueueStore,
    queueName: string,
    limits: ClaimRequest["limits"],
    max = 10,
  ) =>
    (
      await queueStore.claim({
        queueName,
        executorId: "claimer",
        excludeNames: [],
        appVersion: undefined,
        limits,
        partitioned: false,
        max,
      })
    ).claimed.map((w) => w.workflowId);

  it.skipIf(backend.skip)(
    "applies limits set at runtime at the next claim, and the definition's again after a reset",
    async () => {
      db = backend.database();
      const { client } = await openClient();
      const other = await openClient(); // another process claims
      for (const id of ["a", "b", "c", "d"]) await client.enqueue("jobs", "job", id, { id });
      const record = await client.setQueueLimits("jobs", { concurrency: 1 });
      expect(record.limits).toEqual({ concurrency: 1 });
      const first = await other.queueStore.claim({
        queueName: "jobs",
        executorId: "claimer",
        excludeNames: [],
        appVersion: undefined,
        limits: { concurrency: 3 },
        partitioned: false,
        max: 10,
      });
      expect(first.claimed.map((w) => w.workflowId)).toEqual(["a"]);
      expect(first.limits).toEqual({ concurrency: 1 });
      expect(await claimIds(other.queueStore, "jobs", { concurrency: 3 })).toEqual([]);

      await client.setQueueLimits("jobs", { concurrency: null }); // lifted: unlimited
      expect(await claimIds(other.queueStore, "jobs", { concurrency: 3 }, 1)).toEqual(["b"]);
      await client.resetQueueLimits("jobs"); // the claimer's definition (3) again: one more
      expect(await claimIds(other.queueStore, "jobs", { concurrency: 3 })).toEqual(["c"]);
      expect(await claimIds(other.queueStore, "jobs", { concurrency: 3 })).toEqual([]);
      expect((await client.getQueue("jobs"))?.limits).toBeUndefined();
    },
  );

  it.skipIf(backend.skip)(
    "caps a partitioned queue as a whole with totalConcurrency, beside the per-partition limit",
    async () => {
      db = backend.database();
      const { client, queueStore } = await openClient();
      for (const tenant of ["t1", "t2", "t3"]) {
        for (const n of [1, 2]) {
          await client.enqueue("tenants", "job", `${tenant}-${n}`, {
            id: `${tenant}-${n}`,
            partitionKey: tenant,
          });
        }
      }
      const limits = { concurrency: 1, totalConcurrency: 2 };
      expect((await claimIds(queueStore, "tenants", limits)).sort()).toEqual(["t1-1", "t2-1"]);
      expect(await claimIds(queueStore, "tenants", limits)).toEqual([]);
      await client.setQueueLimits("tenants", { totalConcurrency: 3 });
      expect(await claimIds(queueStore, "tenants", limits)).toEqual(["t3-1"]);
    },
  );

  it.skipIf(backend.skip)(
    "starts waiting work in a serving engine when a client raises the limit, without a redeploy",
    async () => {
      db = backend.database();
      const q = defineQueue("raise", { concurrency: 1 });
      const { engine } = await launchQueueEngine(db, { workflows: [job], serve: [q] });
      closers.add(engine, (e) => e.shutdown());
      const { client } = await openClient();
      const labels = ["r1", "r2", "r3"];
      for (const label of labels) gates.set(label, new Gate());
      const handles = [];
      for (const label of labels)
        handles.push(await client.enqueue<typeof job>("raise", "job", label));
      await eventually(
        async () => (await client.counts("raise")).PENDING === 1,
        10_000,
        "one running",
      );
      expect(await client.counts("raise")).toMatchObject({ PENDING: 1, ENQUEUED: 2 });

      await client.setQueueLimits("raise", { concurrency: 3 });
      await eventually(async () => (await client.counts("raise")).PENDING === 3, 10_000, "three");
      const [listed] = await client.listQueues();
      expect(listed).toMatchObject({
        queueName: "raise",
        partitioned: false,
        definedLimits: { concurrency: 1 },
        limits: { concurrency: 3 },
      });
      for (const gate of gates.values()) gate.release();
      expect(await Promise.all(handles.map((h) => h.result()))).toEqual(["R1", "R2", "R3"]);
    },
  );

  it.skipIf(backend.skip)(
    "changes the priority and start time of waiting workflows, and refuses started ones",
    async () => {
      db = backend.database();
      const { client, queueStore } = await openClient();
      for (const id of ["p1", "p2", "p3"]) await client.enqueue("prio", "job", id, { id });
      await client.setPriority("p3", -5);
      expect(await claimIds(queueStore, "prio", {}, 1)).toEqual(["p3"]);
      await expect(client.setPriority("p3", 1)).rejects.toThrow(WorkflowNotWaitingError);
      await expect(client.setPriority("nope", 1)).rejects.toThrow(WorkflowNotWaitingError);

      await client.enqueue("later", "job", "d", { id: "d", delayMs: 3_600_000 });
      expect(await claimIds(queueStore, "later", {})).toEqual([]);
      expect(await client.counts("later")).toMatchObject({ ENQUEUED: 1, delayed: 1 });
      await client.setDelay("d", { delayMs: 0 });
      expect(await claimIds(queueStore, "later", {})).toEqual(["d"]);

      await client.enqueue("later", "job", "e", { id: "e" });
      await client.setDelay("e", { startAt: new Date(Date.now() + 3_600_000) });
      expect(await claimIds(queueStore, "later", {})).toEqual([]);
      await expect(client.setDelay("d", { delayMs: 0 })).rejects.toMatchObject({
        code: "WORKFLOW_NOT_WAITING",
        workflowId: "d",
      });
    },
  );

  it.skipIf(backend.skip)("refuses bad limits and priorities with InvalidOptionError", async () => {
    db = backend.database();
    const { client } = await openClient();
    await expect(client.setQueueLimits("q", { concurrency: 0 })).rejects.toThrow(
      InvalidOptionError,
    );
    await expect(
      client.setQueueLimits("q", { bogus: 1 } as unknown as { concurrency: number }),
    ).rejects.toMatchObject({ option: "bogus" });
    await expect(
      client.setQueueLimits("q", { rateLimit: { limit: 1, periodMs: 0 } }),
    ).rejects.toThrow(InvalidOptionError);
    await expect(client.setPriority("x", 1.5)).rejects.toThrow(InvalidOptionError);
    await expect(client.setDelay("x", { delayMs: -1 })).rejects.toThrow(InvalidOptionError);
    expect(await client.listQueues()).toEqual([]); // nothing was written
  });
});
