/**
 * Contract tests for `claim` on one executor: order, delays, the limits (concurrency per
 * partition, for the whole queue and per executor; the rate limit), runtime limits, names left
 * to others, the version rule and timeouts.
 */
import { beforeEach, describe, expect, it } from "vitest";
import {
  alive,
  claimOf,
  claimedIds,
  enqueueAll,
  EXECUTOR,
  HOUR_MS,
  item,
  type QueueFixture,
} from "./fixtures.js";

export function describeClaim(fx: QueueFixture): void {
  describe("claim", () => {
    beforeEach(() => alive(fx.store));

    /** Ends `workflowId` (claimed by `EXECUTOR`) with SUCCESS. */
    const finish = async (workflowId: string) => {
      const row = await fx.store.getWorkflow(workflowId);
      const fence = { executorId: EXECUTOR, epoch: row?.ownerEpoch ?? -1 };
      const outcome = { workflowId, executorId: EXECUTOR, status: "SUCCESS" as const, output: "1" };
      expect(await fx.store.finishWorkflow(outcome, fence)).toBe(true);
    };

    it("claims lower priority numbers first, FIFO within a priority, each once", async () => {
      const order: [string, number][] = [
        ["p5-a", 5],
        ["p1-a", 1],
        ["p5-b", 5],
        ["p0-a", 0],
        ["p1-b", 1],
        ["neg", -3],
      ];
      await enqueueAll(
        fx.queues,
        order.map(([id, priority]) => item(id, { priority })),
      );
      const claim = (max: number) => fx.queues.claim(claimOf({ max }));
      expect(claimedIds(await claim(3))).toEqual(["neg", "p0-a", "p1-a"]);
      expect(claimedIds(await claim(2))).toEqual(["p1-b", "p5-a"]);
      expect(claimedIds(await claim(100))).toEqual(["p5-b"]);
      expect(claimedIds(await fx.queues.claim(claimOf()))).toEqual([]);
    });

    it("says whether claimable items were left waiting", async () => {
      await enqueueAll(fx.queues, [item("a"), item("b"), item("c")]);
      // Cut by max: more wait.
      expect(await fx.queues.claim(claimOf({ max: 2 }))).toMatchObject({ more: true });
      // Took what was left: nothing waits, so a run ending need not claim again.
      const rest = await fx.queues.claim(claimOf({ max: 5 }));
      expect({ ids: claimedIds(rest), more: rest.more }).toEqual({ ids: ["c"], more: false });
      expect(await fx.queues.claim(claimOf())).toMatchObject({ claimed: [], more: false });
      // Held back by a limit: more wait (a run ending frees room for them).
      await enqueueAll(fx.queues, [item("d")]);
      const held = await fx.queues.claim(claimOf({ limits: { concurrency: 3 } }));
      expect({ ids: claimedIds(held), more: held.more }).toEqual({ ids: [], more: true });
      await finish("a");
      expect(claimedIds(await fx.queues.claim(claimOf({ limits: { concurrency: 3 } })))).toEqual([
        "d",
      ]);
      // Not available yet: not left waiting (the claim's retryInMs covers it).
      await enqueueAll(fx.queues, [item("later", { delayMs: HOUR_MS })]);
      expect(await fx.queues.claim(claimOf())).toMatchObject({ claimed: [], more: false });
    });

    it("hands each claimed workflow to the claimer, PENDING at a new epoch", async () => {
      const [enqueued] = await enqueueAll(fx.queues, [item("w1")]);
      const { claimed, requeued, deadLettered } = await fx.queues.claim(claimOf());
      expect(claimed).toHaveLength(1);
      expect(claimed[0]).toMatchObject({
        workflowId: "w1",
        status: "PENDING",
        executorId: EXECUTOR,
      });
      expect(claimed[0]?.ownerEpoch).toBeGreaterThan(enqueued?.workflow.ownerEpoch ?? Infinity);
      expect(await fx.store.getWorkflow("w1")).toEqual(claimed[0]);
      expect({ requeued, deadLettered }).toEqual({ requeued: 0, deadLettered: [] });
      expect(await fx.queues.counts("q")).toMatchObject({ ENQUEUED: 0, PENDING: 1 });
    });

    it("claims only from the queue named, and nothing from an empty one", async () => {
      await enqueueAll(fx.queues, [item("w1", { queueName: "other" })]);
      expect(claimedIds(await fx.queues.claim(claimOf()))).toEqual([]);
      expect(claimedIds(await fx.queues.claim(claimOf({ queueName: "other" })))).toEqual(["w1"]);
    });

    it("leaves a delayed item until its time and says when to claim again", async () => {
      await enqueueAll(fx.queues, [
        item("later", { delayMs: HOUR_MS }),
        item("scheduled", { availableAt: Date.now() + HOUR_MS }),
        item("past", { availableAt: 0 }),
      ]);
      const result = await fx.queues.claim(claimOf());
      expect(claimedIds(result)).toEqual(["past"]);
      expect(result.retryInMs).toBeGreaterThan(0);
      expect(result.retryInMs).toBeLessThanOrEqual(HOUR_MS);
      expect(await fx.queues.counts("q")).toMatchObject({ ENQUEUED: 2, delayed: 2 });
    });

    it("never runs more than `concurrency` at once", async () => {
      await enqueueAll(
        fx.queues,
        ["a", "b", "c", "d"].map((id) => item(id)),
      );
      const limits = { concurrency: 2 };
      expect(claimedIds(await fx.queues.claim(claimOf({ limits })))).toEqual(["a", "b"]);
      expect(claimedIds(await fx.queues.claim(claimOf({ limits })))).toEqual([]);
      await finish("a");
      expect(claimedIds(await fx.queues.claim(claimOf({ limits })))).toEqual(["c"]);
    });

    it("never runs more than `workerConcurrency` in one executor", async () => {
      await enqueueAll(
        fx.queues,
        ["a", "b", "c"].map((id) => item(id)),
      );
      const limits = { workerConcurrency: 2 };
      expect(claimedIds(await fx.queues.claim(claimOf({ limits })))).toEqual(["a", "b"]);
      expect(claimedIds(await fx.queues.claim(claimOf({ limits })))).toEqual([]);
      await finish("b");
      expect(claimedIds(await fx.queues.claim(claimOf({ limits })))).toEqual(["c"]);
    });

    it("applies `concurrency` per partition and interleaves the partitions", async () => {
      await enqueueAll(fx.queues, [
        item("a1", { partitionKey: "a" }),
        item("a2", { partitionKey: "a" }),
        item("a3", { partitionKey: "a" }),
        item("b1", { partitionKey: "b" }),
        item("b2", { partitionKey: "b" }),
      ]);
      const claim = (concurrency: number, max = 100) =>
        fx.queues.claim(claimOf({ limits: { concurrency }, partitioned: true, max }));
      // Taken in turns across partitions: b1 before a3, though enqueued later.
      expect(claimedIds(await claim(3, 3))).toEqual(["a1", "a2", "b1"]);
      expect(claimedIds(await claim(2))).toEqual(["b2"]);
      expect(claimedIds(await claim(2))).toEqual([]);
      await finish("a1");
      expect(claimedIds(await claim(2))).toEqual(["a3"]);
    });

    it("caps all partitions together at `totalConcurrency`", async () => {
      await enqueueAll(
        fx.queues,
        ["a", "b", "c", "d"].map((key) => item(key, { partitionKey: key })),
      );
      const limits = { concurrency: 5, totalConcurrency: 3 };
      const claim = () => fx.queues.claim(claimOf({ limits, partitioned: true }));
      expect(claimedIds(await claim())).toEqual(["a", "b", "c"]);
      expect(claimedIds(await claim())).toEqual([]);
      await finish("b");
      expect(claimedIds(await claim())).toEqual(["d"]);
    });

    it("starts at most `rateLimit.limit` within a window, finished or not", async () => {
      await enqueueAll(
        fx.queues,
        ["a", "b", "c"].map((id) => item(id)),
      );
      const limits = { rateLimit: { limit: 2, periodMs: HOUR_MS } };
      expect(claimedIds(await fx.queues.claim(claimOf({ limits })))).toEqual(["a", "b"]);
      await finish("a");
      await finish("b");
      const limited = await fx.queues.claim(claimOf({ limits }));
      expect(claimedIds(limited)).toEqual([]);
      expect(limited.retryInMs).toBeGreaterThan(0);
      expect(limited.retryInMs).toBeLessThanOrEqual(HOUR_MS);
    });

    it("applies the limits set at runtime in place of the request's, and reports them", async () => {
      await enqueueAll(
        fx.queues,
        ["a", "b", "c", "d"].map((id) => item(id)),
      );
      await fx.queues.setQueueLimits("q", { concurrency: 1 });
      const request = claimOf({ limits: { concurrency: 3, workerConcurrency: 9 } });
      const limited = await fx.queues.claim(request);
      expect(claimedIds(limited)).toEqual(["a"]);
      expect(limited.limits).toEqual({ concurrency: 1, workerConcurrency: 9 });
      await fx.queues.setQueueLimits("q", { concurrency: null });
      const lifted = await fx.queues.claim(request);
      expect(claimedIds(lifted)).toEqual(["b", "c", "d"]);
      expect(lifted.limits).toEqual({ workerConcurrency: 9 });
    });

    it("leaves workflows of the excluded names for other claimers", async () => {
      await enqueueAll(fx.queues, [item("mine"), item("theirs", { name: "report" })]);
      const result = await fx.queues.claim(claimOf({ excludeNames: ["report"] }));
      expect(claimedIds(result)).toEqual(["mine"]);
      expect((await fx.store.getWorkflow("theirs"))?.status).toBe("ENQUEUED");
    });

    it("claims a version that is its own, none, or one no live executor runs", async () => {
      await fx.store.heartbeat({ executorId: "old", appVersion: "v1", leaseMs: HOUR_MS });
      const versioned = (id: string, appVersion: string | undefined) => ({
        ...item(id),
        workflow: { ...item(id).workflow, appVersion },
      });
      await enqueueAll(fx.queues, [
        versioned("v1", "v1"),
        versioned("v2", "v2"),
        versioned("none", undefined),
        versioned("orphan", "v0"),
      ]);
      const claimed = claimedIds(await fx.queues.claim(claimOf({ appVersion: "v2" })));
      expect(claimed).toEqual(["none", "orphan", "v2"]);
      expect((await fx.store.getWorkflow("v1"))?.status).toBe("ENQUEUED");
    });

    it("sets the deadline of a workflow with a timeout to claim time plus the timeout", async () => {
      await enqueueAll(fx.queues, [item("timed", { timeoutMs: HOUR_MS }), item("untimed")]);
      const { claimed } = await fx.queues.claim(claimOf());
      const timed = claimed.find((w) => w.workflowId === "timed");
      expect(timed?.deadlineAt).toBeGreaterThanOrEqual((timed?.createdAt ?? Infinity) + HOUR_MS);
      expect(timed?.deadlineAt).toBeLessThanOrEqual((timed?.updatedAt ?? -Infinity) + HOUR_MS);
      expect(claimed.find((w) => w.workflowId === "untimed")?.deadlineAt).toBeUndefined();
    });
  });
}
