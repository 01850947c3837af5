/**
 * Contract tests for suspension: `suspendWorkflow` under a fence, `claimDueWorkflows` handing
 * each due suspension out once with the next due time, `listRunnable` leaving suspended workflows
 * out, and a change of owner voiding a suspension.
 */
import { describe, expect, it } from "vitest";
import { WorkflowOwnershipLostError } from "../../../errors.js";
import type { Fence } from "../../../store/records.js";
import { type Fixture, claimFor, failure, ids, newWorkflow } from "../fixtures.js";

const fenceA = (epoch = 0): Fence => ({ executorId: "executor-a", epoch });
const due = (now: number, limit = 100) => ({ executorId: "executor-a", now, limit });

export function describeSuspension(fx: Fixture): void {
  describe("suspension", () => {
    it("leaves a suspended workflow out of listRunnable and hands it out once when due", async () => {
      await fx.store.createWorkflow(newWorkflow("asleep"));
      await fx.store.createWorkflow(newWorkflow("awake"));
      await fx.store.suspendWorkflow("asleep", 5_000, fenceA());
      expect(ids(await fx.store.listRunnable("executor-a", 10))).toEqual(["awake"]);
      expect(await fx.store.claimDueWorkflows(due(4_999))).toEqual({
        workflows: [],
        nextWakeAt: 5_000,
      });
      const claimed = await fx.store.claimDueWorkflows(due(5_000));
      expect(ids(claimed.workflows)).toEqual(["asleep"]);
      expect(claimed.workflows[0]).toMatchObject({ status: "PENDING", executorId: "executor-a" });
      expect(claimed.nextWakeAt).toBeUndefined();
      expect(await fx.store.claimDueWorkflows(due(9_000))).toEqual({
        workflows: [],
        nextWakeAt: undefined,
      });
      expect(ids(await fx.store.listRunnable("executor-a", 10))).toEqual(["asleep", "awake"]);
    });

    it("claims the earliest due first, up to the limit, and reports the next due time", async () => {
      for (const [id, at] of [
        ["c", 300],
        ["a", 100],
        ["b", 200],
        ["d", 900],
      ] as const) {
        await fx.store.createWorkflow(newWorkflow(id));
        await fx.store.suspendWorkflow(id, at, fenceA());
      }
      const first = await fx.store.claimDueWorkflows(due(500, 2));
      expect(first.workflows.map((w) => w.workflowId)).toEqual(["a", "b"]);
      expect(first.nextWakeAt).toBe(300);
      const second = await fx.store.claimDueWorkflows(due(500, 2));
      expect(second.workflows.map((w) => w.workflowId)).toEqual(["c"]);
      expect(second.nextWakeAt).toBe(900);
    });

    it("claims only the given executor's suspensions", async () => {
      await fx.store.createWorkflow(newWorkflow("theirs", { executorId: "executor-b" }));
      await fx.store.suspendWorkflow("theirs", 100, { executorId: "executor-b", epoch: 0 });
      expect(await fx.store.claimDueWorkflows(due(1_000))).toEqual({
        workflows: [],
        nextWakeAt: undefined,
      });
      expect(ids(await fx.store.listRunnable("executor-b", 10))).toEqual([]);
    });

    it("replaces an earlier suspension of the same workflow", async () => {
      await fx.store.createWorkflow(newWorkflow("wf-1"));
      await fx.store.suspendWorkflow("wf-1", 100, fenceA());
      await fx.store.suspendWorkflow("wf-1", 700, fenceA());
      expect(await fx.store.claimDueWorkflows(due(500))).toEqual({
        workflows: [],
        nextWakeAt: 700,
      });
    });

    it("refuses a suspension under a stale fence or of a finished workflow, writing nothing", async () => {
      await fx.store.createWorkflow(newWorkflow("wf-1"));
      await fx.store.claimRecoverable(claimFor());
      const stale = await fx.store.suspendWorkflow("wf-1", 100, fenceA(0)).catch((e: unknown) => e);
      expect(WorkflowOwnershipLostError.is(stale)).toBe(true);
      expect(ids(await fx.store.listRunnable("executor-a", 10))).toEqual(["wf-1"]);
      await fx.store.finishWorkflow(failure("wf-1"));
      const finished = await fx.store
        .suspendWorkflow("wf-1", 100, fenceA(1))
        .catch((e: unknown) => e);
      expect(WorkflowOwnershipLostError.is(finished)).toBe(true);
      expect((await fx.store.claimDueWorkflows(due(1_000))).workflows).toEqual([]);
    });

    it("voids a suspension when the workflow changes owner or finishes", async () => {
      await fx.store.createWorkflow(newWorkflow("claimed"));
      await fx.store.createWorkflow(newWorkflow("cancelled"));
      await fx.store.suspendWorkflow("claimed", 100, fenceA());
      await fx.store.suspendWorkflow("cancelled", 100, fenceA());
      // Recovery claims it at a new epoch: it is runnable again, and no longer due anywhere.
      const { recovered } = await fx.store.claimRecoverable(claimFor());
      expect(ids(recovered)).toEqual(["cancelled", "claimed"]);
      await fx.store.cancelWorkflow("cancelled", { children: false });
      expect(ids(await fx.store.listRunnable("executor-a", 10))).toEqual(["claimed"]);
      expect(await fx.store.claimDueWorkflows(due(1_000))).toEqual({
        workflows: [],
        nextWakeAt: undefined,
      });
    });
  });
}
