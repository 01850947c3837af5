/**
 * Contract tests for `cancelWorkflows` and `resumeWorkflows`: many at once, each as the single
 * call treats it, unknown IDs and other statuses left out, descendants cascading (and, for a
 * deadline's cancel, only those that share the deadline).
 */
import { beforeEach, describe, expect, it } from "vitest";
import {
  type Fixture,
  failedStepAt,
  failure,
  newWorkflow,
  record,
  stepAt,
  success,
} from "../fixtures.js";

const DEADLINE = 1_700_000_000_000;

export function describeBulkControl(fx: Fixture): void {
  describeCancelMany(fx);
  describeResumeMany(fx);
}

function describeCancelMany(fx: Fixture): void {
  describe("cancelWorkflows", () => {
    // a ─── a-child (deadline: a's)  ─── a-grandchild (deadline: a's)
    //   └── a-detached (no deadline) ─── a-late (a later deadline of its own)
    // b (PENDING), done (SUCCESS), other (PENDING, not named)
    beforeEach(async () => {
      await fx.store.createWorkflow(newWorkflow("a", { deadlineAt: DEADLINE }));
      await fx.store.createWorkflow(
        newWorkflow("a-child", { parentWorkflowId: "a", deadlineAt: DEADLINE }),
      );
      await fx.store.createWorkflow(
        newWorkflow("a-grandchild", { parentWorkflowId: "a-child", deadlineAt: DEADLINE }),
      );
      await fx.store.createWorkflow(newWorkflow("a-detached", { parentWorkflowId: "a" }));
      await fx.store.createWorkflow(
        newWorkflow("a-late", { parentWorkflowId: "a-detached", deadlineAt: DEADLINE + 60_000 }),
      );
      await fx.store.createWorkflow(newWorkflow("b"));
      await fx.store.createWorkflow(newWorkflow("done"));
      await fx.store.finishWorkflow(success("done"));
      await fx.store.createWorkflow(newWorkflow("other"));
    });

    it("cancels every PENDING one named, leaving unknown, finished and unnamed ones", async () => {
      const cancelled = await fx.store.cancelWorkflows(["b", "done", "nope", "a-child"], {
        children: false,
      });
      expect([...cancelled].sort()).toEqual(["a-child", "b"]);
      expect((await fx.store.getWorkflow("b"))?.status).toBe("CANCELLED");
      expect((await fx.store.getWorkflow("done"))?.status).toBe("SUCCESS");
      expect((await fx.store.getWorkflow("other"))?.status).toBe("PENDING");
      expect((await fx.store.getWorkflow("a-grandchild"))?.status).toBe("PENDING");
    });

    it("cancels the descendants of each with children: true, each ID once", async () => {
      const cancelled = await fx.store.cancelWorkflows(["a", "a-child", "b"], { children: true });
      expect([...cancelled].sort()).toEqual([
        "a",
        "a-child",
        "a-detached",
        "a-grandchild",
        "a-late",
        "b",
      ]);
      expect((await fx.store.getWorkflow("other"))?.status).toBe("PENDING");
    });

    it("with a deadline, cancels only the descendants whose deadline is at or before it", async () => {
      const cancelled = await fx.store.cancelWorkflows(["a"], {
        children: true,
        deadlineAt: DEADLINE,
      });
      expect([...cancelled].sort()).toEqual(["a", "a-child", "a-grandchild"]);
      expect((await fx.store.getWorkflow("a-detached"))?.status).toBe("PENDING");
      expect((await fx.store.getWorkflow("a-late"))?.status).toBe("PENDING");
    });

    it("returns nothing for an empty list or only unknown IDs", async () => {
      expect(await fx.store.cancelWorkflows([], { children: true })).toEqual([]);
      expect(await fx.store.cancelWorkflows(["x", "y"], { children: true })).toEqual([]);
    });

    it("notifies status CANCELLED for each it cancels", async (context) => {
      if (!fx.store.subscribe) context.skip("the store has no subscribe()");
      const recorder = await record(fx.store);
      await fx.store.cancelWorkflows(["b", "other"], { children: false });
      for (const id of ["b", "other"])
        await recorder.next((n) => n.kind === "status" && n.workflowId === id);
      await recorder.stop();
    });
  });
}

function describeResumeMany(fx: Fixture): void {
  describe("resumeWorkflows", () => {
    beforeEach(async () => {
      for (const id of ["failed", "cancelled", "running", "done"])
        await fx.store.createWorkflow(newWorkflow(id, { deadlineAt: DEADLINE }));
      await fx.store.recordStep(stepAt("failed", 0));
      await fx.store.recordStep(failedStepAt("failed", 1));
      await fx.store.finishWorkflow(failure("failed"));
      await fx.store.cancelWorkflow("cancelled", { children: false });
      await fx.store.finishWorkflow(success("done"));
    });

    it("resumes each resumable one for the executor, and returns their rows", async () => {
      const resumed = await fx.store.resumeWorkflows(
        ["failed", "cancelled", "running", "done", "nope"],
        "executor-b",
      );
      expect(resumed.map((r) => r.workflowId).sort()).toEqual(["cancelled", "failed"]);
      for (const row of resumed) {
        expect(row).toMatchObject({ status: "PENDING", executorId: "executor-b" });
        expect(row.deadlineAt).toBeUndefined();
        expect(await fx.store.getWorkflow(row.workflowId)).toEqual(row);
      }
      expect((await fx.store.getWorkflow("running"))?.executorId).toBe("executor-a");
      expect((await fx.store.getWorkflow("done"))?.status).toBe("SUCCESS");
    });

    it("drops each one's trailing error checkpoints, as a single resume does", async () => {
      await fx.store.resumeWorkflows(["failed", "cancelled"], "executor-b");
      expect(await fx.store.listSteps("failed")).toEqual([stepAt("failed", 0)]);
    });

    it("resumes an ID given twice once", async () => {
      const before = (await fx.store.getWorkflow("failed"))?.ownerEpoch ?? Number.NaN;
      const resumed = await fx.store.resumeWorkflows(["failed", "failed"], "executor-b");
      expect(resumed.map((r) => r.workflowId)).toEqual(["failed"]);
      expect(resumed[0]?.ownerEpoch).toBe(before + 1);
    });

    it("returns nothing for an empty list", async () => {
      expect(await fx.store.resumeWorkflows([], "executor-b")).toEqual([]);
    });
  });
}
