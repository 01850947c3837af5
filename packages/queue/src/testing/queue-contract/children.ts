/**
 * Contract tests for a child a workflow put on a queue (`ctx.enqueue`): its row keeps its parent
 * and the deadline it inherited, while it waits and after its claim (a timeout of its own is set
 * at the claim instead), and cancelling the parent with its children takes the waiting ones out
 * of the queue.
 */
import type { NewQueueItem } from "../../queue-store.js";
import { beforeEach, describe, expect, it } from "vitest";
import {
  alive,
  claimOf,
  claimedIds,
  enqueueAll,
  EXECUTOR,
  HOUR_MS,
  item,
  queuedWorkflow,
  type QueueFixture,
} from "./fixtures.js";

export function describeQueuedChildren(fx: QueueFixture): void {
  describe("a workflow's queued children", () => {
    beforeEach(() => alive(fx.store));

    /** A child of `parent` on queue `q`, with `deadlineAt` (the parent's) when given. */
    const child = (
      workflowId: string,
      parent: string,
      deadlineAt?: number,
      patch: Partial<Omit<NewQueueItem, "workflow">> = {},
    ): NewQueueItem => ({
      ...item(workflowId, patch),
      workflow: queuedWorkflow(workflowId, "q", { parentWorkflowId: parent, deadlineAt }),
    });
    const parent = (workflowId: string) =>
      fx.store.createWorkflow({ workflowId, name: "parent", input: '"p"', executorId: EXECUTOR });

    it("keep their parent and inherited deadline while waiting and once claimed", async () => {
      const deadlineAt = Date.now() + 2 * HOUR_MS;
      await parent("p");
      await enqueueAll(fx.queues, [
        child("p:1", "p", deadlineAt),
        child("p:2", "p", undefined, { timeoutMs: HOUR_MS }),
      ]);
      expect(await fx.store.getWorkflow("p:1")).toMatchObject({
        status: "ENQUEUED",
        parentWorkflowId: "p",
        deadlineAt,
      });
      expect(await fx.store.getWorkflow("p:2")).toMatchObject({
        parentWorkflowId: "p",
        deadlineAt: undefined,
      });
      const { claimed } = await fx.queues.claim(claimOf());
      expect(claimed.map((w) => w.workflowId).sort()).toEqual(["p:1", "p:2"]);
      expect(await fx.store.getWorkflow("p:1")).toMatchObject({ status: "PENDING", deadlineAt });
      const timed = await fx.store.getWorkflow("p:2");
      expect(timed?.deadlineAt).toBeGreaterThanOrEqual((timed?.startedAt ?? 0) + HOUR_MS);
      const listed = await fx.store.listWorkflows({ parentWorkflowId: "p" });
      expect(listed.map((w) => w.workflowId).sort()).toEqual(["p:1", "p:2"]);
    });

    it("leave the queue when their parent is cancelled with its children", async () => {
      await parent("p");
      await enqueueAll(fx.queues, [
        child("p:1", "p"),
        child("p:2", "p", undefined, { delayMs: HOUR_MS }),
        item("other"),
      ]);
      const cancelled = await fx.store.cancelWorkflow("p", { children: true });
      expect([...cancelled].sort()).toEqual(["p", "p:1", "p:2"]);
      expect(claimedIds(await fx.queues.claim(claimOf()))).toEqual(["other"]);
      expect(await fx.queues.counts("q")).toMatchObject({ CANCELLED: 2, PENDING: 1, delayed: 0 });
    });
  });
}
