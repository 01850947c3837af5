/**
 * Contract tests for the workflow store's control operations on queued workflows: cancel takes
 * one out of its queue, resume puts one back in (with its partition and priority, so the
 * queue's limits apply to the rerun), delete removes its item.
 */
import { QUEUED_EXECUTOR } from "@cairn/core";
import { beforeEach, describe, expect, it } from "vitest";
import {
  alive,
  claimOf,
  claimedIds,
  enqueueAll,
  EXECUTOR,
  item,
  type QueueFixture,
} from "./fixtures.js";

export function describeWorkflowControl(fx: QueueFixture): void {
  describe("workflow control of queued workflows", () => {
    beforeEach(() => alive(fx.store));

    /** Ends `workflowId` (claimed by `EXECUTOR`) with `status`. */
    const finish = async (workflowId: string, status: "SUCCESS" | "ERROR") => {
      const row = await fx.store.getWorkflow(workflowId);
      const fence = { executorId: EXECUTOR, epoch: row?.ownerEpoch ?? -1 };
      const outcome =
        status === "SUCCESS"
          ? { workflowId, executorId: EXECUTOR, status, output: "1" }
          : { workflowId, executorId: EXECUTOR, status, error: '"boom"' };
      expect(await fx.store.finishWorkflow(outcome, fence)).toBe(true);
    };

    it("cancel takes a waiting workflow out of its queue", async () => {
      await enqueueAll(fx.queues, [item("w1"), item("w2", { delayMs: 3_600_000 })]);
      expect(await fx.store.cancelWorkflow("w1", { children: false })).toEqual(["w1"]);
      expect(await fx.store.cancelWorkflow("w2", { children: false })).toEqual(["w2"]);
      expect(claimedIds(await fx.queues.claim(claimOf()))).toEqual([]);
      expect(await fx.queues.counts("q")).toMatchObject({ CANCELLED: 2, delayed: 0 });
    });

    it("resume puts a failed queued workflow back in its queue, partition and priority kept", async () => {
      const limits = { concurrency: 1 };
      const claim = () => fx.queues.claim(claimOf({ limits, partitioned: true }));
      await enqueueAll(fx.queues, [item("w", { partitionKey: "p", priority: 5 })]);
      expect(claimedIds(await claim())).toEqual(["w"]);
      await finish("w", "ERROR");
      expect(claimedIds(await claim())).toEqual([]); // a store may tidy finished items here
      await enqueueAll(fx.queues, [
        item("x", { partitionKey: "p", priority: 3 }),
        item("y", { partitionKey: "p", priority: 7 }),
        item("z", { partitionKey: "r" }),
      ]);
      const resumed = await fx.store.resumeWorkflow("w", "whoever");
      expect(resumed).toMatchObject({
        status: "ENQUEUED",
        executorId: QUEUED_EXECUTOR,
        queueName: "q",
        recoveryAttempts: 0,
        error: undefined,
      });
      // Partition p runs one at a time: x (priority 3) first, then w (5) before y (7).
      expect(claimedIds(await claim())).toEqual(["x", "z"]);
      await finish("x", "SUCCESS");
      expect(claimedIds(await claim())).toEqual(["w"]);
      await finish("w", "SUCCESS");
      expect(claimedIds(await claim())).toEqual(["y"]);
    });

    it("resume puts a workflow cancelled while it waited back in its queue", async () => {
      await enqueueAll(fx.queues, [item("w1", { dedupId: "k" })]);
      await fx.store.cancelWorkflow("w1", { children: false });
      // Its dedup key was freed at the cancel; a resumed workflow does not take it back.
      expect((await fx.queues.enqueue(item("w2", { dedupId: "k" }))).kind).toBe("created");
      expect((await fx.store.resumeWorkflow("w1", "whoever"))?.status).toBe("ENQUEUED");
      expect(claimedIds(await fx.queues.claim(claimOf()))).toEqual(["w1", "w2"]);
    });

    it("cancel and resume of many at once take them out of the queue and put them back", async () => {
      await enqueueAll(fx.queues, [item("w1"), item("w2"), item("w3")]);
      const cancelled = await fx.store.cancelWorkflows(["w1", "w2"], { children: false });
      expect([...cancelled].sort()).toEqual(["w1", "w2"]);
      expect(claimedIds(await fx.queues.claim(claimOf()))).toEqual(["w3"]);
      const resumed = await fx.store.resumeWorkflows(["w1", "w2", "w3"], "whoever");
      expect(resumed.map((r) => [r.workflowId, r.status, r.executorId]).sort()).toEqual([
        ["w1", "ENQUEUED", QUEUED_EXECUTOR],
        ["w2", "ENQUEUED", QUEUED_EXECUTOR],
      ]);
      expect(claimedIds(await fx.queues.claim(claimOf())).sort()).toEqual(["w1", "w2"]);
    });

    it("resume of a dead-lettered queued workflow puts it back in its queue", async () => {
      await enqueueAll(fx.queues, [item("w1")]);
      await alive(fx.store, "crashed");
      await fx.queues.claim(claimOf({ executorId: "crashed" }));
      await fx.store.stopExecutor("crashed");
      const claim = claimOf({ maxRecoveryAttempts: { job: 0 }, excludeNames: ["job"] });
      expect((await fx.queues.claim(claim)).deadLettered.map((w) => w.workflowId)).toEqual(["w1"]);
      expect((await fx.store.resumeWorkflow("w1", "whoever"))?.status).toBe("ENQUEUED");
      expect(claimedIds(await fx.queues.claim(claimOf()))).toEqual(["w1"]);
    });

    it("delete removes a finished workflow's item: its ID can be enqueued anew", async () => {
      await enqueueAll(fx.queues, [item("w1", { dedupId: "k" })]);
      await fx.queues.claim(claimOf());
      await finish("w1", "SUCCESS");
      expect(await fx.store.deleteWorkflows(["w1"], { children: false })).toEqual(["w1"]);
      expect(await fx.queues.counts("q")).toMatchObject({ SUCCESS: 0 });
      expect((await fx.queues.enqueue(item("w1", { dedupId: "k" }))).kind).toBe("created");
      expect(claimedIds(await fx.queues.claim(claimOf()))).toEqual(["w1"]);
    });
  });
}
