/** Contract tests for `recordStepAttempt` and `listStepAttempts`: a step's durable retry state. */
import { beforeEach, describe, expect, it } from "vitest";
import { WorkflowOwnershipLostError } from "../../../errors.js";
import type { StepAttempt } from "../../../store/records.js";
import { type Fixture, claimFor, newWorkflow, success, tricky } from "../fixtures.js";

const attemptAt = (
  workflowId: string,
  position: number,
  patch: Partial<StepAttempt> = {},
): StepAttempt => ({
  workflowId,
  position,
  name: "charge",
  attempts: 1,
  nextAttemptAt: 1_700_000_000_123,
  ...patch,
});

export function describeStepAttempts(fx: Fixture): void {
  describe("recordStepAttempt and listStepAttempts", () => {
    beforeEach(async () => {
      await fx.store.createWorkflow(newWorkflow("wf-1"));
      await fx.store.createWorkflow(newWorkflow("wf-2"));
    });

    it("stores an attempt with all its fields, and lists nothing for a workflow without any", async () => {
      const attempt = attemptAt("wf-1", 0, { name: tricky.unicode, attempts: 2 });
      await fx.store.recordStepAttempt(attempt);
      expect(await fx.store.listStepAttempts("wf-1")).toEqual([attempt]);
      expect(await fx.store.listStepAttempts("wf-2")).toEqual([]);
      expect(await fx.store.listStepAttempts("nope")).toEqual([]);
    });

    it("replaces the attempt of a position (last write wins) and lists by position", async () => {
      await fx.store.recordStepAttempt(attemptAt("wf-1", 7));
      await fx.store.recordStepAttempt(attemptAt("wf-1", 2));
      const later = attemptAt("wf-1", 7, { attempts: 3, nextAttemptAt: 1_700_000_009_000 });
      await fx.store.recordStepAttempt(later);
      expect(await fx.store.listStepAttempts("wf-1")).toEqual([attemptAt("wf-1", 2), later]);
    });

    it("is fenced: a stale owner's attempt is refused and nothing is written", async () => {
      const { recovered } = await fx.store.claimRecoverable(claimFor());
      const claimed = recovered.find((record) => record.workflowId === "wf-1");
      if (!claimed) throw new Error("expected a claimed workflow");
      const stale = { executorId: claimed.executorId, epoch: claimed.ownerEpoch - 1 };
      const error: unknown = await fx.store
        .recordStepAttempt(attemptAt(claimed.workflowId, 0), stale)
        .then(
          () => undefined,
          (e: unknown) => e,
        );
      expect(WorkflowOwnershipLostError.is(error)).toBe(true);
      expect(await fx.store.listStepAttempts(claimed.workflowId)).toEqual([]);
      const current = { executorId: claimed.executorId, epoch: claimed.ownerEpoch };
      await fx.store.recordStepAttempt(attemptAt(claimed.workflowId, 0), current);
      expect(await fx.store.listStepAttempts(claimed.workflowId)).toHaveLength(1);
    });

    it("goes with its workflow when the workflow is deleted", async () => {
      await fx.store.recordStepAttempt(attemptAt("wf-1", 0));
      await fx.store.finishWorkflow(success("wf-1"));
      expect(await fx.store.deleteWorkflows(["wf-1"], { children: false })).toEqual(["wf-1"]);
      expect(await fx.store.listStepAttempts("wf-1")).toEqual([]);
    });
  });
}
