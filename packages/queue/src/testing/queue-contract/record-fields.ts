/**
 * Contract tests for what a queued workflow's row tells: the priority, dedup ID and partition key
 * it was enqueued with (and a priority changed while it waits), no start time while it waits,
 * its claim as its start time, no start time again when it goes back to the queue, and a
 * completion time when it is dead-lettered.
 */
import { beforeEach, describe, expect, it } from "vitest";
import {
  alive,
  claimOf,
  enqueueAll,
  EXECUTOR,
  HOUR_MS,
  item,
  queuedWorkflow,
  type QueueFixture,
} from "./fixtures.js";

export function describeRecordFields(fx: QueueFixture): void {
  describe("a queued workflow's row", () => {
    beforeEach(() => alive(fx.store));

    const read = (workflowId: string) => fx.store.getWorkflow(workflowId);

    it("keeps the priority, dedup ID and partition key it was enqueued with, and a new priority", async () => {
      await enqueueAll(fx.queues, [
        item("a", { priority: 3, partitionKey: "tenant-1", dedupId: "order-7" }),
        item("b"),
      ]);
      expect(await read("a")).toMatchObject({
        status: "ENQUEUED",
        priority: 3,
        dedupId: "order-7",
        partitionKey: "tenant-1",
        startedAt: undefined,
        completedAt: undefined,
      });
      expect(await read("b")).toMatchObject({
        priority: 0,
        dedupId: undefined,
        partitionKey: undefined,
      });
      expect(await fx.queues.setPriority("a", -5)).toBe(true);
      expect((await read("a"))?.priority).toBe(-5);
      await fx.queues.debounce({
        workflow: queuedWorkflow("d"),
        queueName: "q",
        key: "k",
        priority: 2,
        partitionKey: "tenant-2",
        periodMs: HOUR_MS,
        maxWaitMs: Number.POSITIVE_INFINITY,
      });
      expect(await read("d")).toMatchObject({ priority: 2, partitionKey: "tenant-2" });
    });

    it("starts at its claim, and has no start again once it goes back to the queue", async () => {
      await enqueueAll(fx.queues, [item("a"), item("b")]);
      const { claimed } = await fx.queues.claim(claimOf({ executorId: EXECUTOR }));
      expect(claimed).toHaveLength(2);
      for (const workflow of claimed) {
        expect(workflow.startedAt).toBeGreaterThanOrEqual(workflow.createdAt);
        expect((await read(workflow.workflowId))?.startedAt).toBe(workflow.startedAt);
      }
      await fx.queues.release(["a"], EXECUTOR);
      expect(await read("a")).toMatchObject({ status: "ENQUEUED", startedAt: undefined });
      await fx.store.stopExecutor(EXECUTOR);
      await alive(fx.store, "next");
      expect((await fx.queues.claim(claimOf({ executorId: "next" }))).requeued).toBe(1);
      expect(await read("b")).toMatchObject({ status: "ENQUEUED", startedAt: undefined });
    });

    it("is completed when a put-back dead-letters it", async () => {
      await enqueueAll(fx.queues, [item("a")]);
      await alive(fx.store, "crashed");
      const [held] = (await fx.queues.claim(claimOf({ executorId: "crashed" }))).claimed;
      await fx.store.stopExecutor("crashed");
      const claim = claimOf({ maxRecoveryAttempts: { job: 0 }, excludeNames: ["job"] });
      const [dead] = (await fx.queues.claim(claim)).deadLettered;
      expect(dead).toMatchObject({ status: "DEAD_LETTER", startedAt: held?.startedAt });
      expect(dead?.completedAt).toBeGreaterThanOrEqual(held?.startedAt ?? Infinity);
      expect(await read("a")).toEqual(dead);
    });
  });
}
