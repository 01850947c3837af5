/**
 * Contract tests for what happens to queued work when its executor is gone or gives it back:
 * the claim puts it back in the queue (counting recoveries and dead-lettering a crash loop),
 * `release`, and the workflow store's takeover leaving queued work to the queue.
 */
import { QUEUED_EXECUTOR, type WorkflowRecord } from "@cairn/core";
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

export function describeRecovery(fx: QueueFixture): void {
  describe("claim after an executor is gone", () => {
    beforeEach(() => alive(fx.store));

    /** `executorId` heartbeats, claims everything of queue `q`, then stops. */
    const claimAndStop = async (executorId: string, limits = {}) => {
      await alive(fx.store, executorId);
      const { claimed } = await fx.queues.claim(claimOf({ executorId, limits }));
      await fx.store.stopExecutor(executorId);
      return claimed;
    };

    /** Claims as `EXECUTOR` until a claim takes nothing; returns every ID claimed. */
    const claimAll = async (request = claimOf()) => {
      const all: string[] = [];
      for (let round = 0; round < 3; round++)
        all.push(...claimedIds(await fx.queues.claim(request)));
      return all;
    };

    it("puts its running items back in the queue, fenced off, and they are claimed again", async () => {
      await enqueueAll(fx.queues, [item("w1"), item("w2")]);
      const [held] = await claimAndStop("gone", { concurrency: 1 });
      expect(held?.workflowId).toBe("w1");
      const result = await fx.queues.claim(claimOf({ limits: { concurrency: 1 } }));
      expect(result.requeued).toBe(1);
      const row = await fx.store.getWorkflow("w1");
      expect(row?.ownerEpoch).toBeGreaterThan(held?.ownerEpoch ?? Infinity);
      expect(row?.recoveryAttempts).toBe(1);
      // The gone executor's writes are refused from now on.
      const fence = { executorId: "gone", epoch: held?.ownerEpoch ?? -1 };
      const outcome = { workflowId: "w1", executorId: "gone", status: "SUCCESS" as const };
      expect(await fx.store.finishWorkflow(outcome, fence).catch(() => false)).toBe(false);
      // Put back, w1 is first in line again (and still within concurrency 1).
      const all = [
        ...claimedIds(result),
        ...(await claimAll(claimOf({ limits: { concurrency: 1 } }))),
      ];
      expect(all).toEqual(["w1"]);
      expect((await fx.store.getWorkflow("w1"))?.executorId).toBe(EXECUTOR);
    });

    it("still counts the start of an item that went back against the rate limit", async () => {
      await enqueueAll(fx.queues, [item("w1")]);
      const limits = { rateLimit: { limit: 1, periodMs: HOUR_MS } };
      await claimAndStop("gone", limits);
      // Its first start fills the window: put back, it waits for the window to pass.
      expect(await claimAll(claimOf({ limits }))).toEqual([]);
      expect((await fx.store.getWorkflow("w1"))?.status).toBe("ENQUEUED");
      const later = await fx.queues.claim(claimOf({ limits }));
      expect(later.retryInMs).toBeGreaterThan(0);
      expect(later.retryInMs).toBeLessThanOrEqual(HOUR_MS);
    });

    it("dead-letters a workflow put back more than its maxRecoveryAttempts without progress", async () => {
      await enqueueAll(fx.queues, [item("loop"), item("other", { name: "report" })]);
      const maxRecoveryAttempts = { job: 2 };
      const rows: (WorkflowRecord | undefined)[] = [];
      for (const executor of ["e1", "e2", "e3"]) {
        const claimed = await claimAndStop(executor);
        expect(claimedIds({ claimed }).sort()).toContain("loop");
        const result = await fx.queues.claim(
          claimOf({ maxRecoveryAttempts, excludeNames: ["job", "report"] }),
        );
        rows.push(await fx.store.getWorkflow("loop"));
        if (executor === "e3") {
          expect(result.deadLettered.map((w) => w.workflowId)).toEqual(["loop"]);
          expect(result.deadLettered[0]).toMatchObject({
            status: "DEAD_LETTER",
            recoveryAttempts: 3,
          });
        } else {
          expect(result.deadLettered).toEqual([]);
        }
      }
      expect(rows.map((r) => [r?.status, r?.recoveryAttempts])).toEqual([
        ["ENQUEUED", 1],
        ["ENQUEUED", 2],
        ["DEAD_LETTER", 3],
      ]);
      // A name without a limit is put back however often it crashes.
      expect((await fx.store.getWorkflow("other"))?.status).toBe("ENQUEUED");
      expect(await fx.queues.counts("q")).toMatchObject({ DEAD_LETTER: 1, ENQUEUED: 1 });
      expect(await claimAll()).toEqual(["other"]);
    });

    it("restarts the count at 1 when the workflow recorded a checkpoint since it was put back", async () => {
      await enqueueAll(fx.queues, [item("w1")]);
      const maxRecoveryAttempts = { job: 1 };
      const hold = async (executorId: string) => {
        const [held] = await claimAndStop(executorId);
        return { executorId, epoch: held?.ownerEpoch ?? -1 };
      };
      await hold("e1");
      await fx.queues.claim(claimOf({ maxRecoveryAttempts, excludeNames: ["job"] }));
      const fence = await hold("e2");
      await fx.store.recordStep(
        {
          workflowId: "w1",
          position: 0,
          name: "work",
          output: "1",
          error: undefined,
          childWorkflowId: undefined,
          attempts: 1,
          startedAt: 1,
          completedAt: 2,
        },
        fence,
      );
      const result = await fx.queues.claim(claimOf({ maxRecoveryAttempts, excludeNames: ["job"] }));
      expect(result.deadLettered).toEqual([]);
      expect(await fx.store.getWorkflow("w1")).toMatchObject({
        status: "ENQUEUED",
        recoveryAttempts: 1,
      });
    });

    it("puts back a debounced workflow while a newer burst of its key waits", async () => {
      const burst = (workflowId: string, maxWaitMs: number) => ({
        workflow: item(workflowId).workflow,
        queueName: "q",
        key: "k",
        priority: 0,
        partitionKey: "",
        periodMs: HOUR_MS,
        maxWaitMs,
      });
      await fx.queues.debounce(burst("first", 0));
      await claimAndStop("gone");
      expect(await fx.queues.debounce(burst("second", HOUR_MS))).toMatchObject({
        workflowId: "second",
        created: true,
      });
      const result = await fx.queues.claim(claimOf());
      expect(result.requeued).toBe(1);
      expect(await claimAll()).toEqual(["first"]);
      // The newer burst still holds the key.
      expect(await fx.queues.debounce(burst("third", HOUR_MS))).toMatchObject({
        workflowId: "second",
        created: false,
      });
    });

    // Only where several processes share the store can another executor be alive.
    if (fx.capabilities.multiProcess)
      it("leaves the running items of a live executor alone", async () => {
        await enqueueAll(fx.queues, [item("w1")]);
        await alive(fx.store, "busy");
        await fx.queues.claim(claimOf({ executorId: "busy" }));
        const result = await fx.queues.claim(claimOf());
        expect(result.requeued).toBe(0);
        expect((await fx.store.getWorkflow("w1"))?.executorId).toBe("busy");
      });
  });

  describe("release", () => {
    beforeEach(() => alive(fx.store));

    it("puts back only what the executor still runs, claimable at once", async () => {
      await enqueueAll(fx.queues, [item("w1"), item("w2")]);
      const { claimed } = await fx.queues.claim(claimOf());
      await fx.queues.release(["w1", "w2"], "someone-else");
      expect(await fx.queues.counts("q")).toMatchObject({ PENDING: 2 });
      await fx.queues.release(["w1", "unknown"], EXECUTOR);
      const released = await fx.store.getWorkflow("w1");
      expect(released).toMatchObject({ status: "ENQUEUED", executorId: QUEUED_EXECUTOR });
      expect(released?.ownerEpoch).toBeGreaterThan(claimed[0]?.ownerEpoch ?? Infinity);
      expect(claimedIds(await fx.queues.claim(claimOf()))).toEqual(["w1"]);
    });
  });

  describe("the workflow store's takeover", () => {
    it("leaves queued workflows of a gone executor to the queue", async () => {
      await enqueueAll(fx.queues, [item("queued")]);
      await alive(fx.store, "gone");
      await fx.queues.claim(claimOf({ executorId: "gone" }));
      await fx.store.createWorkflow({
        workflowId: "plain",
        name: "job",
        input: "1",
        executorId: "gone",
      });
      await fx.store.stopExecutor("gone");
      const taken = await fx.store.takeOver({
        executorId: EXECUTOR,
        names: ["job"],
        maxRecoveryAttempts: {},
        limit: 100,
      });
      expect(taken.recovered.map((w) => w.workflowId)).toEqual(["plain"]);
      expect(taken.unknown).toEqual([]);
      expect((await fx.store.getWorkflow("queued"))?.executorId).toBe("gone");
    });
  });
}
