/** Contract tests for the queues' records: serving processes' definitions and runtime limits. */
import { describe, expect, it } from "vitest";
import type { QueueFixture } from "./fixtures.js";

export function describeQueues(fx: QueueFixture): void {
  describe("queue records", () => {
    it("records how serving processes define a queue", async () => {
      expect(await fx.queues.getQueue("emails")).toBeUndefined();
      await fx.queues.defineQueues([
        { queueName: "emails", partitioned: false, limits: { concurrency: 5 } },
        {
          queueName: "tenants",
          partitioned: true,
          limits: { rateLimit: { limit: 2, periodMs: 1_000 } },
        },
      ]);
      expect(await fx.queues.getQueue("emails")).toMatchObject({
        queueName: "emails",
        partitioned: false,
        definedLimits: { concurrency: 5 },
        limits: undefined,
      });
      await fx.queues.defineQueues([
        { queueName: "emails", partitioned: true, limits: { concurrency: 7 } },
      ]);
      const emails = await fx.queues.getQueue("emails");
      expect(emails).toMatchObject({ partitioned: true, definedLimits: { concurrency: 7 } });
      const listed = await fx.queues.listQueues();
      expect(listed.map((q) => q.queueName)).toEqual(["emails", "tenants"]);
      expect(listed[1]?.definedLimits).toEqual({ rateLimit: { limit: 2, periodMs: 1_000 } });
    });

    it("merges runtime limits key by key; null lifts one; undefined clears them all", async () => {
      await fx.queues.defineQueues([
        { queueName: "emails", partitioned: false, limits: { concurrency: 5 } },
      ]);
      const first = await fx.queues.setQueueLimits("emails", { concurrency: 2 });
      expect(first).toMatchObject({
        definedLimits: { concurrency: 5 },
        limits: { concurrency: 2 },
      });
      const merged = await fx.queues.setQueueLimits("emails", {
        workerConcurrency: 1,
        concurrency: null,
      });
      expect(merged.limits).toEqual({ concurrency: null, workerConcurrency: 1 });
      // Defining the queue again leaves the runtime limits alone.
      await fx.queues.defineQueues([
        { queueName: "emails", partitioned: false, limits: { concurrency: 6 } },
      ]);
      expect((await fx.queues.getQueue("emails"))?.limits).toEqual(merged.limits);
      expect((await fx.queues.setQueueLimits("emails", undefined)).limits).toBeUndefined();
      // A queue no process serves yet can be given limits.
      const fresh = await fx.queues.setQueueLimits("later", { concurrency: 1 });
      expect(fresh).toMatchObject({ partitioned: undefined, definedLimits: undefined });
    });
  });
}
