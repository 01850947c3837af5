/**
 * Contract tests for `subscribe`: each kind of notification arrives after the write that causes
 * it. A store without `subscribe` skips them (the engine then polls).
 */
import { type TestContext, beforeEach, describe, expect, it } from "vitest";
import type { StoreNotification } from "../../../store/messaging-store.js";
import { type Fixture, failure, newWorkflow, record, stepAt } from "../fixtures.js";

const isStatus =
  (workflowId: string, status: string) =>
  (n: StoreNotification): boolean =>
    n.kind === "status" && n.workflowId === workflowId && n.status === status;

export function describeNotifications(fx: Fixture): void {
  describe("subscribe", () => {
    /** Skips the test on a store that cannot push notifications. */
    const needsSubscribe = (context: TestContext): void => {
      if (!fx.store.subscribe) context.skip("the store has no subscribe()");
    };

    beforeEach(async () => {
      await fx.store.createWorkflow(newWorkflow("wf-1"));
    });

    it("notifies message after sendMessage", async (context) => {
      needsSubscribe(context);
      const recorder = await record(fx.store);
      await fx.store.sendMessage({
        destinationId: "wf-1",
        topic: "payments",
        message: '"m"',
        messageId: "m-1",
      });
      expect(await recorder.next((n) => n.kind === "message")).toEqual({
        kind: "message",
        workflowId: "wf-1",
        topic: "payments",
      });
      await recorder.stop();
    });

    it("notifies event after setEvent, with or without a step", async (context) => {
      needsSubscribe(context);
      const recorder = await record(fx.store);
      await fx.store.setEvent({ workflowId: "wf-1", key: "first", value: '"1"' });
      await fx.store.setEvent(
        { workflowId: "wf-1", key: "second", value: '"2"' },
        stepAt("wf-1", 0),
      );
      for (const key of ["first", "second"]) {
        expect(await recorder.next((n) => n.kind === "event" && n.key === key)).toEqual({
          kind: "event",
          workflowId: "wf-1",
          key,
        });
      }
      await recorder.stop();
    });

    it("notifies stream after writeStream, also for the closing entry", async (context) => {
      needsSubscribe(context);
      const recorder = await record(fx.store);
      const entry = { workflowId: "wf-1", key: "progress", value: '"a"', closed: false };
      await fx.store.writeStream(entry, stepAt("wf-1", 0));
      expect(await recorder.next((n) => n.kind === "stream")).toEqual({
        kind: "stream",
        workflowId: "wf-1",
        key: "progress",
      });
      const closing = { ...entry, key: "done", value: undefined, closed: true };
      await fx.store.writeStream(closing, stepAt("wf-1", 1));
      await recorder.next((n) => n.kind === "stream" && n.key === "done");
      await recorder.stop();
    });

    it("notifies status after a createWorkflow with notify: true", async (context) => {
      needsSubscribe(context);
      const recorder = await record(fx.store);
      await fx.store.createWorkflow(
        newWorkflow("wf-2", { notify: true, executorId: "executor-b" }),
      );
      expect(await recorder.next(isStatus("wf-2", "PENDING"))).toEqual({
        kind: "status",
        workflowId: "wf-2",
        status: "PENDING",
        executorId: "executor-b",
      });
      await recorder.stop();
    });

    it("notifies status CANCELLED for every workflow cancelWorkflow cancels", async (context) => {
      needsSubscribe(context);
      await fx.store.createWorkflow(newWorkflow("child", { parentWorkflowId: "wf-1" }));
      const recorder = await record(fx.store);
      await fx.store.cancelWorkflow("wf-1", { children: true });
      for (const id of ["wf-1", "child"]) {
        expect(await recorder.next(isStatus(id, "CANCELLED"))).toMatchObject({
          executorId: "executor-a",
        });
      }
      await recorder.stop();
    });

    it("notifies status PENDING with the new executor after resumeWorkflow", async (context) => {
      needsSubscribe(context);
      await fx.store.finishWorkflow(failure("wf-1"));
      const recorder = await record(fx.store);
      await fx.store.resumeWorkflow("wf-1", "executor-b");
      expect(await recorder.next(isStatus("wf-1", "PENDING"))).toMatchObject({
        executorId: "executor-b",
      });
      await recorder.stop();
    });

    it("notifies status PENDING for the new workflow after forkWorkflow", async (context) => {
      needsSubscribe(context);
      const recorder = await record(fx.store);
      await fx.store.forkWorkflow({
        sourceId: "wf-1",
        newId: "wf-fork",
        fromPosition: 0,
        executorId: "executor-b",
      });
      expect(await recorder.next(isStatus("wf-fork", "PENDING"))).toMatchObject({
        executorId: "executor-b",
      });
      await recorder.stop();
    });

    it("delivers to every subscriber, and no more after unsubscribing", async (context) => {
      needsSubscribe(context);
      const first = await record(fx.store);
      const second = await record(fx.store);
      await fx.store.setEvent({ workflowId: "wf-1", key: "a", value: "1" });
      await first.next((n) => n.kind === "event" && n.key === "a");
      await second.next((n) => n.kind === "event" && n.key === "a");
      await first.stop();
      await fx.store.setEvent({ workflowId: "wf-1", key: "b", value: "2" });
      await second.next((n) => n.kind === "event" && n.key === "b");
      expect(first.received.some((n) => n.kind === "event" && n.key === "b")).toBe(false);
      await second.stop();
    });
  });
}
