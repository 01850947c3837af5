/**
 * What a queued workflow's row tells, on Postgres and PGlite: the priority, deduplication ID,
 * partition key and attributes it was enqueued with (and a priority changed while it waits), no
 * start time while it waits, its claim as its start time (so `startedAt - createdAt` is its wait
 * in the queue), and no start time again when it goes back to the queue. Calls the queue store
 * directly.
 */
import type { NewWorkflow, WorkflowRecord, WorkflowStore } from "@cairn/core";
import type { ClaimRequest, QueueStore } from "@cairn/queue";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { createPgQueueStore } from "../../src/queue/index.js";
import type { PgStore } from "../../src/index.js";
import { engineBackends, type TestDatabase } from "../support/engine-databases.js";

const newWorkflow = (workflowId: string): NewWorkflow => ({
  workflowId,
  name: "job",
  input: '"x"',
  executorId: "cairn:queue",
});

describe.each(engineBackends)("a queued workflow's row on $name", (backend) => {
  let db: TestDatabase;
  let store: WorkflowStore;
  let queues: QueueStore;

  beforeAll(() => backend.open());
  afterAll(() => backend.close());
  afterEach(async () => {
    await store.close();
    await db.drop();
  });

  const open = async () => {
    db = backend.database();
    store = db.store();
    await store.migrate();
    queues = createPgQueueStore(store as PgStore);
  };
  const read = async (workflowId: string) =>
    (await store.getWorkflow(workflowId)) as WorkflowRecord;
  const claim = (executorId: string, queueName = "jobs", partitioned = false) => {
    const request: ClaimRequest = {
      queueName,
      executorId,
      excludeNames: [],
      appVersion: undefined,
      limits: {},
      partitioned,
      max: 10,
    };
    return queues.claim(request);
  };

  it.skipIf(backend.skip)(
    "keeps the priority, dedup ID and partition key it was enqueued with, and a new priority",
    async () => {
      await open();
      await queues.enqueue({
        workflow: newWorkflow("a"),
        queueName: "jobs",
        priority: 3,
        partitionKey: "tenant-1",
        dedupId: "order-7",
      });
      await queues.enqueue({
        workflow: newWorkflow("b"),
        queueName: "jobs",
        priority: 0,
        partitionKey: "",
      });
      expect(await read("a")).toMatchObject({
        status: "ENQUEUED",
        priority: 3,
        dedupId: "order-7",
        partitionKey: "tenant-1",
        startedAt: undefined,
      });
      expect(await read("b")).toMatchObject({
        priority: 0,
        dedupId: undefined,
        partitionKey: undefined,
      });
      expect(await queues.setPriority("a", -5)).toBe(true);
      const [listed] = await store.listWorkflows({ workflowIds: ["a"] });
      expect(listed?.priority).toBe(-5);
    },
  );

  it.skipIf(backend.skip)("keeps the attributes it was enqueued or debounced with", async () => {
    await open();
    const attributes = { tenant: "acme", order: { id: 7 } };
    await queues.enqueue({
      workflow: { ...newWorkflow("e"), attributes },
      queueName: "jobs",
      priority: 0,
      partitionKey: "",
    });
    await queues.debounce({
      workflow: { ...newWorkflow("d"), attributes: { tenant: "acme" } },
      queueName: "jobs",
      key: "k",
      priority: 0,
      partitionKey: "",
      periodMs: 60_000,
      maxWaitMs: Number.POSITIVE_INFINITY,
    });
    expect((await read("e")).attributes).toEqual(attributes);
    const found = await store.listWorkflows({ attributes: { tenant: "acme" } });
    expect(found.map((w) => w.workflowId).sort()).toEqual(["d", "e"]);
  });

  it.skipIf(backend.skip)("gives a debounced workflow its priority and partition key", async () => {
    await open();
    await queues.debounce({
      workflow: newWorkflow("d"),
      queueName: "jobs",
      key: "k",
      priority: 2,
      partitionKey: "tenant-2",
      periodMs: 60_000,
      maxWaitMs: Number.POSITIVE_INFINITY,
    });
    expect(await read("d")).toMatchObject({ priority: 2, partitionKey: "tenant-2" });
  });

  it.skipIf(backend.skip)(
    "starts a workflow at its claim, and clears the start when it goes back to the queue",
    async () => {
      await open();
      await queues.enqueue({
        workflow: newWorkflow("a"),
        queueName: "jobs",
        priority: 0,
        partitionKey: "",
      });
      await queues.enqueue({
        workflow: newWorkflow("b"),
        queueName: "jobs",
        priority: 0,
        partitionKey: "",
      });
      const { claimed } = await claim("first");
      expect(claimed.map((w) => w.workflowId)).toEqual(["a", "b"]);
      for (const workflow of claimed) {
        expect(workflow.startedAt).toBeGreaterThanOrEqual(workflow.createdAt);
        expect(await read(workflow.workflowId)).toMatchObject({ startedAt: workflow.startedAt });
      }
      expect(await store.listWorkflows({ startedAfter: claimed[0]?.startedAt ?? 0 })).toHaveLength(
        2,
      );

      await queues.release(["a"], "first");
      expect(await read("a")).toMatchObject({ status: "ENQUEUED", startedAt: undefined });

      // "first" never heartbeated: the next claim puts its running item back in the queue.
      const again = await claim("second");
      expect(again.requeued).toBe(1);
      expect(again.claimed.map((w) => w.workflowId)).toEqual(["a"]);
      expect(await read("b")).toMatchObject({ status: "ENQUEUED", startedAt: undefined });
      const last = await claim("second");
      expect(last.claimed.map((w) => w.workflowId)).toEqual(["b"]);
      expect(last.claimed[0]?.startedAt).toBeGreaterThanOrEqual(claimed[1]?.startedAt ?? 0);
    },
  );
});
