/**
 * Contract tests for suspension: `suspendWorkflow` under a fence, `claimDueWorkflows` handing
 * each due suspension out once with the next due time, `listRunnable` leaving suspended workflows
 * out and paging after a cursor, a recovery or takeover moving a suspension with its workflow (not handed back to run,
 * recovery attempts untouched, the old fence stale), and cancelling one ending it.
 */
import { describe, expect, it } from "vitest";
import { WorkflowOwnershipLostError } from "../../../errors.js";
import type { Fence } from "../../../store/records.js";
import {
  type Fixture,
  claimFor,
  failure,
  ids,
  newWorkflow,
  nextMillisecond,
  stepAt,
  success,
} from "../fixtures.js";

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

    it("pages listRunnable after a cursor, oldest first, so a poll can look past the first page", async () => {
      const created = ["w-1", "w-2", "w-3", "w-4", "w-5"];
      for (const id of created) await fx.store.createWorkflow(newWorkflow(id));
      const seen: string[] = [];
      let after: { createdAt: number; workflowId: string } | undefined;
      // At most one page per workflow and a last, empty one: a store that hands the cursor's
      // own workflow back again fails here rather than looping.
      for (let pages = 0; pages <= created.length; pages++) {
        const page = await fx.store.listRunnable("executor-a", 2, after);
        seen.push(...ids(page));
        const last = page.at(-1);
        if (!last) break;
        after = { createdAt: last.createdAt, workflowId: last.workflowId };
      }
      expect(seen).toEqual(created);
    });

    it("hands out the runnable workflows created at one time, with their histories, by ID after a cursor", async (context) => {
      if (!fx.store.listCreatedBatch) return context.skip("the store has no listCreatedBatch()");
      await fx.store.createWorkflow(newWorkflow("before"));
      await nextMillisecond();
      const batch = ["b-3", "b-1", "b-5", "b-2", "b-4"].map((id) => newWorkflow(id));
      const results = await fx.store.createWorkflows([
        ...batch,
        newWorkflow("elsewhere", { executorId: "executor-b" }),
      ]);
      const at = results[0]?.workflow.createdAt ?? 0;
      await fx.store.recordStep(stepAt("b-2", 1));
      await fx.store.recordStep(stepAt("b-2", 0));
      await fx.store.suspendWorkflow("b-4", 5_000, fenceA());
      await fx.store.finishWorkflow(success("b-5"));
      // One statement gives its rows one time; a store that gives each its own still pages here.
      const sameTime = results
        .filter((r) => r.workflow.createdAt === at && r.workflow.executorId === "executor-a")
        .map((r) => r.workflow.workflowId)
        .filter((id) => ["b-1", "b-2", "b-3"].includes(id))
        .sort();
      const first = await fx.store.listCreatedBatch("executor-a", at, 2);
      const rest = await fx.store.listCreatedBatch(
        "executor-a",
        at,
        2,
        first.at(-1)?.record.workflowId,
      );
      const all = [...first, ...rest];
      expect(all.map((w) => w.record.workflowId)).toEqual(sameTime);
      const b2 = all.find((w) => w.record.workflowId === "b-2");
      if (b2) expect(b2.history.map((s) => s.position)).toEqual([0, 1]);
      if (b2) expect(b2.history[0]).toEqual(stepAt("b-2", 0));
      expect(all.find((w) => w.record.workflowId === "b-1")).toMatchObject({
        record: {
          status: "PENDING",
          executorId: "executor-a",
          ownerEpoch: 0,
          input: '{"ticket":1}',
        },
        history: [],
      });
      expect(await fx.store.listCreatedBatch("executor-b", at - 1, 10)).toEqual([]);
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

    it("moves a suspension with its workflow when recovery claims it, not to run", async () => {
      await fx.store.createWorkflow(newWorkflow("asleep"));
      await fx.store.createWorkflow(newWorkflow("cancelled"));
      await fx.store.createWorkflow(newWorkflow("awake"));
      await fx.store.suspendWorkflow("asleep", 100, fenceA());
      await fx.store.suspendWorkflow("cancelled", 100, fenceA());
      await fx.store.cancelWorkflow("cancelled", { children: false });
      const { recovered } = await fx.store.claimRecoverable(claimFor());
      expect(ids(recovered)).toEqual(["awake"]);
      // Still suspended, now at epoch 1: the old fence is stale, the new one holds.
      const stale = await fx.store
        .suspendWorkflow("asleep", 50, fenceA(0))
        .catch((e: unknown) => e);
      expect(WorkflowOwnershipLostError.is(stale)).toBe(true);
      expect(ids(await fx.store.listRunnable("executor-a", 10))).toEqual(["awake"]);
      const woken = await fx.store.claimDueWorkflows(due(1_000));
      expect(woken.workflows).toMatchObject([
        { workflowId: "asleep", ownerEpoch: 1, recoveryAttempts: 0 },
      ]);
    });

    it("moves a suspension to the executor that takes its workflow over", async () => {
      await fx.store.createWorkflow(newWorkflow("asleep", { executorId: "gone" }));
      await fx.store.suspendWorkflow("asleep", 100, { executorId: "gone", epoch: 0 });
      const taken = await fx.store.takeOver({
        ...claimFor(),
        limit: 10,
        ignoreLeases: true,
      });
      expect(taken.recovered).toEqual([]);
      expect(
        (await fx.store.claimDueWorkflows({ ...due(1_000), executorId: "gone" })).workflows,
      ).toEqual([]);
      expect(await fx.store.claimDueWorkflows(due(99))).toEqual({ workflows: [], nextWakeAt: 100 });
      expect(ids((await fx.store.claimDueWorkflows(due(100))).workflows)).toEqual(["asleep"]);
    });
  });
}
