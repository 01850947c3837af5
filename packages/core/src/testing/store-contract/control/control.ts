/** Contract tests for `cancelWorkflow`, `resumeWorkflow` and `forkWorkflow`. */
import { beforeEach, describe, expect, it } from "vitest";
import {
  type Fixture,
  claimFor,
  failedStepAt,
  failure,
  newWorkflow,
  stepAt,
  success,
} from "../fixtures.js";

export function describeControl(fx: Fixture): void {
  describeCancel(fx);
  describeResume(fx);
  describeFork(fx);
}

function describeCancel(fx: Fixture): void {
  describe("cancelWorkflow", () => {
    // root ─┬─ child-a ── grandchild (PENDING below a finished child)
    //       └─ child-b
    beforeEach(async () => {
      await fx.store.createWorkflow(newWorkflow("root"));
      await fx.store.createWorkflow(newWorkflow("child-a", { parentWorkflowId: "root" }));
      await fx.store.createWorkflow(newWorkflow("child-b", { parentWorkflowId: "root" }));
      await fx.store.createWorkflow(newWorkflow("grandchild", { parentWorkflowId: "child-a" }));
      await fx.store.createWorkflow(newWorkflow("unrelated"));
      await fx.store.finishWorkflow(success("child-a"));
    });

    it("cancels a PENDING workflow and returns its ID", async () => {
      expect(await fx.store.cancelWorkflow("unrelated", { children: false })).toEqual([
        "unrelated",
      ]);
      const row = await fx.store.getWorkflow("unrelated");
      expect(row?.status).toBe("CANCELLED");
      expect(row?.updatedAt).toBeGreaterThanOrEqual(row?.createdAt ?? Number.NaN);
    });

    it("leaves the children alone with children: false", async () => {
      expect(await fx.store.cancelWorkflow("root", { children: false })).toEqual(["root"]);
      expect((await fx.store.getWorkflow("child-b"))?.status).toBe("PENDING");
      expect((await fx.store.getWorkflow("grandchild"))?.status).toBe("PENDING");
    });

    it("cancels every PENDING descendant with children: true, also below a finished child", async () => {
      const cancelled = await fx.store.cancelWorkflow("root", { children: true });
      expect([...cancelled].sort()).toEqual(["child-b", "grandchild", "root"]);
      for (const id of cancelled)
        expect((await fx.store.getWorkflow(id))?.status).toBe("CANCELLED");
      expect((await fx.store.getWorkflow("child-a"))?.status).toBe("SUCCESS");
      expect((await fx.store.getWorkflow("unrelated"))?.status).toBe("PENDING");
    });

    it("changes nothing and returns no ID for a finished workflow", async () => {
      const before = await fx.store.getWorkflow("child-a");
      expect(await fx.store.cancelWorkflow("child-a", { children: false })).toEqual([]);
      expect(await fx.store.getWorkflow("child-a")).toEqual(before);
    });

    it("returns no ID for an already cancelled workflow", async () => {
      await fx.store.cancelWorkflow("unrelated", { children: false });
      expect(await fx.store.cancelWorkflow("unrelated", { children: false })).toEqual([]);
    });

    it("returns no ID for an unknown workflow", async () => {
      expect(await fx.store.cancelWorkflow("nope", { children: true })).toEqual([]);
    });

    it("leaves recovery alone afterwards: a cancelled workflow is not claimed", async () => {
      await fx.store.cancelWorkflow("unrelated", { children: false });
      const { recovered } = await fx.store.claimRecoverable(claimFor());
      expect(recovered.map((w) => w.workflowId)).not.toContain("unrelated");
    });
  });
}

function describeResume(fx: Fixture): void {
  describe("resumeWorkflow", () => {
    beforeEach(async () => {
      await fx.store.createWorkflow(newWorkflow("wf-1", { deadlineAt: 1_700_000_000_000 }));
    });

    const cases = {
      CANCELLED: () => fx.store.cancelWorkflow("wf-1", { children: false }),
      ERROR: () => fx.store.finishWorkflow(failure("wf-1")),
      DEAD_LETTER: () =>
        fx.store.claimRecoverable(claimFor({ maxRecoveryAttempts: { checkout: 0 } })),
    };
    for (const [status, reach] of Object.entries(cases)) {
      it(`makes a ${status} workflow PENDING again, owned by the new executor, outcome cleared`, async () => {
        await reach();
        expect((await fx.store.getWorkflow("wf-1"))?.status).toBe(status);
        const resumed = await fx.store.resumeWorkflow("wf-1", "executor-b");
        expect(resumed).toMatchObject({
          workflowId: "wf-1",
          status: "PENDING",
          executorId: "executor-b",
          recoveryAttempts: 0,
        });
        expect(resumed?.output).toBeUndefined();
        expect(resumed?.error).toBeUndefined();
        expect(await fx.store.getWorkflow("wf-1")).toEqual(resumed);
      });
    }

    it("clears the deadline, so a timed-out workflow can run again", async () => {
      await fx.store.cancelWorkflow("wf-1", { children: false });
      expect((await fx.store.resumeWorkflow("wf-1", "executor-a"))?.deadlineAt).toBeUndefined();
    });

    it("deletes the error checkpoints at the end of the history", async () => {
      await fx.store.recordStep(stepAt("wf-1", 0));
      await fx.store.recordStep(failedStepAt("wf-1", 1));
      await fx.store.recordStep(failedStepAt("wf-1", 2));
      await fx.store.finishWorkflow(failure("wf-1"));
      await fx.store.resumeWorkflow("wf-1", "executor-a");
      expect(await fx.store.listSteps("wf-1")).toEqual([stepAt("wf-1", 0)]);
    });

    it("keeps an error checkpoint that a successful one follows", async () => {
      const history = [stepAt("wf-1", 0), failedStepAt("wf-1", 1), stepAt("wf-1", 2)];
      for (const step of history) await fx.store.recordStep(step);
      await fx.store.recordStep(failedStepAt("wf-1", 3));
      await fx.store.finishWorkflow(failure("wf-1"));
      await fx.store.resumeWorkflow("wf-1", "executor-a");
      expect(await fx.store.listSteps("wf-1")).toEqual(history);
    });

    it("deletes every checkpoint when all of them recorded errors", async () => {
      await fx.store.recordStep(failedStepAt("wf-1", 0));
      await fx.store.cancelWorkflow("wf-1", { children: false });
      await fx.store.resumeWorkflow("wf-1", "executor-a");
      expect(await fx.store.listSteps("wf-1")).toEqual([]);
    });

    it("is recovered like a fresh workflow afterwards: attempts count from 0", async () => {
      await fx.store.claimRecoverable(claimFor({ maxRecoveryAttempts: { checkout: 2 } }));
      await fx.store.claimRecoverable(claimFor({ maxRecoveryAttempts: { checkout: 2 } }));
      await fx.store.claimRecoverable(claimFor({ maxRecoveryAttempts: { checkout: 2 } }));
      expect((await fx.store.getWorkflow("wf-1"))?.status).toBe("DEAD_LETTER");
      await fx.store.resumeWorkflow("wf-1", "executor-a");
      const { recovered } = await fx.store.claimRecoverable(claimFor());
      expect(recovered).toHaveLength(1);
      expect(recovered[0]?.recoveryAttempts).toBe(1);
    });

    it("returns a PENDING workflow unchanged", async () => {
      await fx.store.recordStep(failedStepAt("wf-1", 0));
      const before = await fx.store.getWorkflow("wf-1");
      expect(await fx.store.resumeWorkflow("wf-1", "executor-b")).toEqual(before);
      expect(await fx.store.getWorkflow("wf-1")).toEqual(before);
      expect(await fx.store.listSteps("wf-1")).toHaveLength(1);
    });

    it("returns a SUCCESS workflow unchanged", async () => {
      await fx.store.finishWorkflow(success("wf-1"));
      const before = await fx.store.getWorkflow("wf-1");
      expect(await fx.store.resumeWorkflow("wf-1", "executor-b")).toEqual(before);
      expect(await fx.store.getWorkflow("wf-1")).toEqual(before);
    });

    it("returns undefined for an unknown workflow", async () => {
      expect(await fx.store.resumeWorkflow("nope", "executor-a")).toBeUndefined();
      expect(await fx.store.getWorkflow("nope")).toBeUndefined();
    });

    it("lets the resumed workflow be finished again", async () => {
      await fx.store.finishWorkflow(failure("wf-1"));
      await fx.store.resumeWorkflow("wf-1", "executor-a");
      expect(await fx.store.finishWorkflow(success("wf-1", '"second try"'))).toBe(true);
      expect((await fx.store.getWorkflow("wf-1"))?.output).toBe('"second try"');
    });
  });
}

function describeFork(fx: Fixture): void {
  describe("forkWorkflow", () => {
    const fork = (patch: { newId?: string; sourceId?: string; fromPosition?: number } = {}) =>
      fx.store.forkWorkflow({
        sourceId: "source",
        newId: "fork",
        fromPosition: 2,
        executorId: "executor-b",
        ...patch,
      });

    beforeEach(async () => {
      await fx.store.createWorkflow(
        newWorkflow("source", { input: '"the input"', parentWorkflowId: "p", deadlineAt: 5 }),
      );
      for (let p = 0; p < 4; p++) await fx.store.recordStep(stepAt("source", p));
      await fx.store.finishWorkflow(success("source"));
    });

    it("creates a PENDING workflow with the source's name and input, marked as forked from it", async () => {
      const result = await fork();
      expect(result?.created).toBe(true);
      expect(result?.workflow).toMatchObject({
        workflowId: "fork",
        name: "checkout",
        input: '"the input"',
        status: "PENDING",
        executorId: "executor-b",
        forkedFrom: "source",
        recoveryAttempts: 0,
      });
      expect(result?.workflow.output).toBeUndefined();
      expect(result?.workflow.parentWorkflowId).toBeUndefined();
      expect(result?.workflow.deadlineAt).toBeUndefined();
      expect(await fx.store.getWorkflow("fork")).toEqual(result?.workflow);
    });

    it("copies the checkpoints below fromPosition only, and leaves the source's alone", async () => {
      await fork();
      const copied = await fx.store.listSteps("fork");
      expect(copied).toEqual([0, 1].map((p) => ({ ...stepAt("source", p), workflowId: "fork" })));
      expect(await fx.store.listSteps("source")).toHaveLength(4);
    });

    it("copies nothing from position 0 and everything from past the end", async () => {
      await fork({ newId: "from-0", fromPosition: 0 });
      await fork({ newId: "from-99", fromPosition: 99 });
      expect(await fx.store.listSteps("from-0")).toEqual([]);
      expect(await fx.store.listSteps("from-99")).toHaveLength(4);
    });

    it("returns the existing row with created: false and copies nothing when newId is taken", async () => {
      const { workflow: taken } = await fx.store.createWorkflow(
        newWorkflow("fork", { input: "1" }),
      );
      expect(await fork()).toEqual({ created: false, workflow: taken });
      expect(await fx.store.listSteps("fork")).toEqual([]);
    });

    it("returns undefined and creates nothing when the source does not exist", async () => {
      expect(await fork({ sourceId: "nope" })).toBeUndefined();
      expect(await fx.store.getWorkflow("fork")).toBeUndefined();
    });

    it("can fork a fork", async () => {
      await fork();
      const again = await fork({ sourceId: "fork", newId: "fork-2", fromPosition: 1 });
      expect(again?.workflow.forkedFrom).toBe("fork");
      expect((await fx.store.listSteps("fork-2")).map((s) => s.position)).toEqual([0]);
    });
  });
}
