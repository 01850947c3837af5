/**
 * Contract tests for suspensions that wait for arrivals (`WakeOn`): nothing is written when one
 * is there already; a message, an event or a workflow's end makes the suspensions in force that
 * wait for it due at once and sends their executor a `wake` notification; suspensions voided by
 * a change of owner, and those waiting for something else, stay as they are.
 */
import { describe, expect, it } from "vitest";
import type { Fence } from "../../../store/records.js";
import type { WakeOn } from "../../../store/suspension-store.js";
import { type Fixture, ids, newWorkflow, record, stepAt, success } from "../fixtures.js";

const fenceA = (epoch = 0): Fence => ({ executorId: "executor-a", epoch });
const due = (now: number) => ({ executorId: "executor-a", now, limit: 100 });
const message = (workflowId: string, topic: string): WakeOn => ({
  kind: "message",
  workflowId,
  topic,
});

export function describeSuspensionArrivals(fx: Fixture): void {
  describe("suspension on arrivals", () => {
    const send = (destinationId: string, topic: string, messageId: string) =>
      fx.store.sendMessage({ destinationId, topic, message: '"m"', messageId });

    it("writes nothing when what it waits for is there already", async () => {
      for (const id of ["waiter", "setter", "child"])
        await fx.store.createWorkflow(newWorkflow(id));
      await send("waiter", "go", "m-1");
      await fx.store.setEvent(
        { workflowId: "setter", key: "ready", value: '"yes"' },
        stepAt("setter", 0),
        fenceA(),
      );
      await fx.store.finishWorkflow(success("child"));
      const arrived: WakeOn[][] = [
        [message("waiter", "go")],
        [{ kind: "event", workflowId: "setter", key: "ready" }],
        [message("waiter", "other"), { kind: "status", workflowId: "child" }],
      ];
      for (const wakeOn of arrived) {
        expect(await fx.store.suspendWorkflow("waiter", 5_000, fenceA(), wakeOn)).toBe(false);
        expect(ids(await fx.store.listRunnable("executor-a", 10))).toEqual(["setter", "waiter"]);
      }
      expect(await fx.store.claimDueWorkflows(due(9_000))).toEqual({
        workflows: [],
        nextWakeAt: undefined,
      });
    });

    it("writes nothing when it waits for the end of a workflow the store does not have", async () => {
      // A finish can only wake a suspension on a workflow that existed when it was written (SQL
      // stores mark that row): a wait for one created later reads again, in memory.
      await fx.store.createWorkflow(newWorkflow("waiter"));
      const wakeOn: WakeOn[] = [{ kind: "status", workflowId: "later" }];
      expect(await fx.store.suspendWorkflow("waiter", undefined, fenceA(), wakeOn)).toBe(false);
      expect(ids(await fx.store.listRunnable("executor-a", 10))).toEqual(["waiter"]);
      await fx.store.createWorkflow(newWorkflow("later"));
      expect(await fx.store.suspendWorkflow("waiter", undefined, fenceA(), wakeOn)).toBe(true);
      await fx.store.finishWorkflow(success("later"));
      expect(ids((await fx.store.claimDueWorkflows(due(1))).workflows)).toEqual(["waiter"]);
    });

    it("makes a suspension due at once when its message arrives, and wakes its executor", async (context) => {
      await fx.store.createWorkflow(newWorkflow("waiter"));
      const recorder = fx.store.subscribe ? await record(fx.store) : undefined;
      const wakeOn = [message("waiter", "go")];
      expect(await fx.store.suspendWorkflow("waiter", undefined, fenceA(), wakeOn)).toBe(true);
      expect(await fx.store.listRunnable("executor-a", 10)).toEqual([]);
      await send("waiter", "elsewhere", "m-1");
      expect(await fx.store.claimDueWorkflows(due(1))).toEqual({
        workflows: [],
        nextWakeAt: undefined,
      });
      await send("waiter", "go", "m-2");
      const claimed = await fx.store.claimDueWorkflows(due(1));
      expect(ids(claimed.workflows)).toEqual(["waiter"]);
      expect((await fx.store.claimDueWorkflows(due(1))).workflows).toEqual([]);
      if (!recorder) return context.skip("the store has no subscribe()");
      expect(await recorder.next((n) => n.kind === "wake")).toEqual({
        kind: "wake",
        workflowId: "waiter",
        executorId: "executor-a",
      });
      await recorder.stop();
    });

    it("wakes every suspension in force waiting for an event, and only those", async () => {
      for (const id of ["setter", "w-1", "w-2", "other"])
        await fx.store.createWorkflow(newWorkflow(id));
      await fx.store.createWorkflow(newWorkflow("stale"));
      const onEvent: WakeOn[] = [{ kind: "event", workflowId: "setter", key: "ready" }];
      for (const id of ["w-1", "w-2", "stale"])
        await fx.store.suspendWorkflow(id, 60_000, fenceA(), onEvent);
      await fx.store.suspendWorkflow("other", 60_000, fenceA(), [
        { kind: "event", workflowId: "setter", key: "later" },
      ]);
      // Cancelled: its suspension ended with it.
      await fx.store.cancelWorkflow("stale", { children: false });
      await fx.store.setEvent(
        { workflowId: "setter", key: "ready", value: '"yes"' },
        undefined,
        undefined,
      );
      const claimed = await fx.store.claimDueWorkflows(due(1));
      expect(ids(claimed.workflows)).toEqual(["w-1", "w-2"]);
      expect(claimed.nextWakeAt).toBe(60_000);
    });

    it("wakes the suspensions waiting for a workflow when it finishes or is cancelled", async () => {
      for (const id of ["child-1", "child-2", "parent-1", "parent-2"])
        await fx.store.createWorkflow(newWorkflow(id));
      await fx.store.suspendWorkflow("parent-1", undefined, fenceA(), [
        { kind: "status", workflowId: "child-1" },
      ]);
      await fx.store.suspendWorkflow("parent-2", undefined, fenceA(), [
        message("parent-2", "go"),
        { kind: "status", workflowId: "child-2" },
      ]);
      await fx.store.finishWorkflow(success("child-1"), fenceA());
      expect(ids((await fx.store.claimDueWorkflows(due(1))).workflows)).toEqual(["parent-1"]);
      await fx.store.cancelWorkflow("child-2", { children: false });
      expect(ids((await fx.store.claimDueWorkflows(due(1))).workflows)).toEqual(["parent-2"]);
    });

    it("keeps the due time of a suspension whose arrivals do not come", async () => {
      await fx.store.createWorkflow(newWorkflow("waiter"));
      await fx.store.suspendWorkflow("waiter", 500, fenceA(), [message("waiter", "go")]);
      expect(await fx.store.claimDueWorkflows(due(499))).toEqual({
        workflows: [],
        nextWakeAt: 500,
      });
      expect(ids((await fx.store.claimDueWorkflows(due(500))).workflows)).toEqual(["waiter"]);
      // Claimed: a message now changes nothing.
      await send("waiter", "go", "m-1");
      expect((await fx.store.claimDueWorkflows(due(9_000))).workflows).toEqual([]);
      expect(ids(await fx.store.listRunnable("executor-a", 10))).toEqual(["waiter"]);
    });
  });
}
