/**
 * Contract tests for `subscribe`: a queue's listeners hear of work that may be claimable — an
 * enqueue, a release, a start moved, a resume — after the change is visible, and no more once
 * they stopped listening.
 */
import { describe, expect, it } from "vitest";
import { alive, claimOf, EXECUTOR, eventually, item, type QueueFixture } from "./fixtures.js";

export function describeNotifications(fx: QueueFixture): void {
  describe("subscribe", () => {
    /** Subscribes, and returns the queue names heard so far and the stop function. */
    const listen = async () => {
      const heard: string[] = [];
      const stop = await fx.queues.subscribe((queueName) => heard.push(queueName));
      return { heard, stop };
    };

    it("tells a queue's listeners of an enqueue once the workflow is visible", async () => {
      const { heard, stop } = await listen();
      let visible: boolean | undefined;
      const seen = await fx.queues.subscribe((queueName) => {
        if (queueName !== "q" || visible !== undefined) return;
        void fx.store.getWorkflow("w1").then((w) => (visible = w !== undefined));
      });
      await fx.queues.enqueue(item("w1"));
      await eventually(() => heard.includes("q") && visible !== undefined, "a notification");
      expect(visible).toBe(true);
      await stop();
      await seen();
    });

    it("tells of a release, a moved start and a resume of a queued workflow", async () => {
      await alive(fx.store);
      await fx.queues.enqueue(item("w1", { queueName: "a" }));
      await fx.queues.enqueue(item("w2", { queueName: "b", delayMs: 3_600_000 }));
      await fx.queues.enqueue(item("w3", { queueName: "c" }));
      await fx.queues.claim(claimOf({ queueName: "a" }));
      const [w3] = (await fx.queues.claim(claimOf({ queueName: "c" }))).claimed;
      const outcome = { workflowId: "w3", executorId: EXECUTOR, status: "ERROR" as const };
      await fx.store.finishWorkflow(
        { ...outcome, error: '"x"' },
        { executorId: EXECUTOR, epoch: w3?.ownerEpoch ?? -1 },
      );
      const { heard, stop } = await listen();
      await fx.queues.release(["w1"], EXECUTOR);
      await eventually(() => heard.includes("a"), "the release's notification");
      await fx.queues.setAvailability("w2", { delayMs: 0 });
      await eventually(() => heard.includes("b"), "the moved start's notification");
      await fx.store.resumeWorkflow("w3", "whoever");
      await eventually(() => heard.includes("c"), "the resume's notification");
      await stop();
    });

    it("stops telling a listener that unsubscribed", async () => {
      const { heard, stop } = await listen();
      const witness = await listen();
      await stop();
      await fx.queues.enqueue(item("w1"));
      await eventually(() => witness.heard.includes("q"), "the witness's notification");
      expect(heard).toEqual([]);
      await witness.stop();
    });
  });
}
