/**
 * Contract tests for the outcomes a claim writes (`ClaimRequest.finishes`), registered for a
 * store that declares `finishesInClaim`: written as the workflow store's finish writes them,
 * fenced, counted as no longer running by the same claim, and told to result() waiters.
 */
import type { StoreNotification, WorkflowOutcome } from "@cairn/core";
import { beforeEach, describe, expect, it } from "vitest";
import type { ClaimFinish } from "../../queue-store.js";
import {
  alive,
  claimOf,
  claimedIds,
  enqueueAll,
  eventually,
  EXECUTOR,
  item,
  type QueueFixture,
} from "./fixtures.js";

export function describeClaimFinishes(fx: QueueFixture): void {
  describe("claim with finishes", () => {
    beforeEach(() => alive(fx.store));

    /** The outcome of `workflowId` as its claimer (at `epoch`) would hand it to the claim. */
    const finishOf = (
      workflowId: string,
      epoch: number,
      patch: Partial<WorkflowOutcome> = {},
    ): ClaimFinish => ({
      outcome: { workflowId, executorId: EXECUTOR, status: "SUCCESS", output: "7", ...patch },
      fence: { executorId: EXECUTOR, epoch },
    });

    it("writes the outcomes, and fills their slots in the same claim", async () => {
      await enqueueAll(fx.queues, [item("a"), item("b"), item("c")]);
      const limits = { concurrency: 2 };
      const first = await fx.queues.claim(claimOf({ limits }));
      expect(claimedIds(first)).toEqual(["a", "b"]);
      const epochOf = (id: string) => first.claimed.find((w) => w.workflowId === id)?.ownerEpoch;
      const second = await fx.queues.claim(
        claimOf({
          limits,
          finishes: [
            finishOf("a", epochOf("a") ?? -1),
            finishOf("b", epochOf("b") ?? -1, { status: "ERROR", output: undefined, error: "e" }),
          ],
        }),
      );
      expect(second.finished).toEqual(["finished", "finished"]);
      expect(claimedIds(second)).toEqual(["c"]); // a's and b's slots were free for it
      expect(await fx.store.getWorkflow("a")).toMatchObject({ status: "SUCCESS", output: "7" });
      expect(await fx.store.getWorkflow("b")).toMatchObject({ status: "ERROR", error: "e" });
      expect((await fx.store.getWorkflow("a"))?.completedAt).toBeGreaterThan(0);
      expect(await fx.queues.counts("q")).toMatchObject({ SUCCESS: 1, ERROR: 1, PENDING: 1 });
    });

    it("refuses an outcome whose fence no longer holds, and one of a workflow not PENDING", async () => {
      await enqueueAll(fx.queues, [item("a"), item("b")]);
      const { claimed } = await fx.queues.claim(claimOf());
      const epochOf = (id: string) => claimed.find((w) => w.workflowId === id)?.ownerEpoch ?? -1;
      expect(await fx.store.cancelWorkflow("b", { children: false })).toEqual(["b"]);
      const result = await fx.queues.claim(
        claimOf({
          finishes: [
            finishOf("a", epochOf("a") - 1), // an older claim of it
            finishOf("b", epochOf("b")),
            finishOf("never-enqueued", 1),
          ],
        }),
      );
      expect(result.finished).toEqual(["fenced", "stale", "stale"]);
      expect(await fx.store.getWorkflow("a")).toMatchObject({ status: "PENDING" });
      expect(await fx.store.getWorkflow("b")).toMatchObject({ status: "CANCELLED" });
    });

    it("says whether other executors run the queue's work", async () => {
      await alive(fx.store, "executor-b");
      await enqueueAll(fx.queues, [item("a"), item("b")]);
      const first = await fx.queues.claim(claimOf({ max: 1 }));
      expect(first.shared).toBe(false); // nothing ran before it
      expect((await fx.queues.claim(claimOf({ max: 1 }))).shared).toBe(false); // its own
      await enqueueAll(fx.queues, [item("c")]);
      const other = await fx.queues.claim(claimOf({ executorId: "executor-b" }));
      expect(other.shared).toBe(true);
    });

    it("tells result() waiters, as the workflow store's finish does", async () => {
      const seen: StoreNotification[] = [];
      const subscribe = fx.store.subscribe?.bind(fx.store);
      expect(subscribe, "the workflow store notifies").toBeDefined();
      const unsubscribe = await subscribe?.((n) => seen.push(n));
      try {
        await enqueueAll(fx.queues, [item("a")]);
        const { claimed } = await fx.queues.claim(claimOf());
        const epoch = claimed[0]?.ownerEpoch ?? -1;
        await fx.queues.claim(claimOf({ finishes: [finishOf("a", epoch)] }));
        await eventually(
          () => seen.some((n) => n.kind === "status" && n.workflowId === "a"),
          "the status notification of a",
        );
        expect(seen).toContainEqual({
          kind: "status",
          workflowId: "a",
          status: "SUCCESS",
          executorId: EXECUTOR,
        });
      } finally {
        await unsubscribe?.();
      }
    });

    it("tells result() waiters of every outcome of a large claim, long IDs included", async () => {
      const succeeded = new Set<string>();
      const unsubscribe = await fx.store.subscribe?.((n) => {
        if (n.kind === "status" && n.status === "SUCCESS") succeeded.add(n.workflowId);
      });
      try {
        // 3,000 bytes of UTF-8 each: a few of them fill a notification's payload
        const long = Array.from({ length: 6 }, (_, i) => `${"é".repeat(1_500)}${i}`);
        const ids = [...Array.from({ length: 100 }, (_, i) => `w${i}`), ...long];
        await enqueueAll(
          fx.queues,
          ids.map((id) => item(id)),
        );
        const { claimed } = await fx.queues.claim(claimOf({ max: ids.length }));
        expect(claimed.map((w) => w.workflowId).sort()).toEqual([...ids].sort());
        const finishes = claimed.map((w) => finishOf(w.workflowId, w.ownerEpoch));
        const result = await fx.queues.claim(claimOf({ finishes }));
        expect(result.finished).toEqual(ids.map(() => "finished"));
        await eventually(
          () => ids.every((id) => succeeded.has(id)),
          "the status notification of every outcome",
        );
      } finally {
        await unsubscribe?.();
      }
    });
  });
}
