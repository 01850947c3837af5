/**
 * Contract tests for a workflow's run times: `startedAt` (when it last began to run) and
 * `completedAt` (when it reached a final status), stamped by the store on its own clock.
 */
import { describe, expect, it } from "vitest";
import type { WorkflowRecord } from "../../../store/records.js";
import {
  type Fixture,
  claimFor,
  failure,
  newWorkflow,
  nextMillisecond,
  success,
} from "../fixtures.js";

export function describeRunTimes(fx: Fixture): void {
  describe("run times", () => {
    const read = async (workflowId: string) =>
      (await fx.store.getWorkflow(workflowId)) as WorkflowRecord;

    it("starts a workflow created PENDING at its creation, and leaves it unfinished", async () => {
      const { workflow } = await fx.store.createWorkflow(newWorkflow("wf-1"));
      expect(workflow.startedAt).toBe(workflow.createdAt);
      expect(workflow.completedAt).toBeUndefined();
      expect(await read("wf-1")).toEqual(workflow);
    });

    it("gives an ENQUEUED workflow no start time", async () => {
      const { workflow } = await fx.store.createWorkflow(
        newWorkflow("wf-q", { status: "ENQUEUED", queueName: "emails" }),
      );
      expect(workflow.startedAt).toBeUndefined();
      expect(workflow.completedAt).toBeUndefined();
    });

    it("stamps completedAt when a workflow succeeds or fails, not before it started", async () => {
      await fx.store.createWorkflow(newWorkflow("wf-ok"));
      await fx.store.createWorkflow(newWorkflow("wf-bad"));
      await nextMillisecond();
      await fx.store.finishWorkflow(success("wf-ok"));
      await fx.store.finishWorkflow(failure("wf-bad"));
      for (const id of ["wf-ok", "wf-bad"]) {
        const row = await read(id);
        expect(row.completedAt).toBe(row.updatedAt);
        expect(row.completedAt).toBeGreaterThan(row.startedAt ?? Number.POSITIVE_INFINITY);
      }
    });

    it("stamps completedAt on cancel; a queued workflow cancelled before it ran never started", async () => {
      await fx.store.createWorkflow(newWorkflow("wf-run"));
      await fx.store.createWorkflow(newWorkflow("wf-wait", { status: "ENQUEUED", queueName: "q" }));
      await fx.store.cancelWorkflow("wf-run", { children: false });
      await fx.store.cancelWorkflow("wf-wait", { children: false });
      const running = await read("wf-run");
      expect(running.completedAt).toBe(running.updatedAt);
      const waiting = await read("wf-wait");
      expect(waiting.completedAt).toBe(waiting.updatedAt);
      expect(waiting.startedAt).toBeUndefined();
    });

    it("stamps completedAt when recovery dead-letters a workflow", async () => {
      await fx.store.createWorkflow(newWorkflow("wf-1"));
      const claim = claimFor({ maxRecoveryAttempts: { checkout: 0 } });
      const { deadLettered } = await fx.store.claimRecoverable(claim);
      expect(deadLettered).toHaveLength(1);
      expect(deadLettered[0]?.completedAt).toBe(deadLettered[0]?.updatedAt);
      expect(await read("wf-1")).toMatchObject({ completedAt: deadLettered[0]?.completedAt });
    });

    it("restarts the clock on resume: a new start, no completion", async () => {
      await fx.store.createWorkflow(newWorkflow("wf-1"));
      await fx.store.finishWorkflow(failure("wf-1"));
      const failed = await read("wf-1");
      await nextMillisecond();
      const resumed = await fx.store.resumeWorkflow("wf-1", "executor-b");
      expect(resumed?.completedAt).toBeUndefined();
      expect(resumed?.startedAt).toBeGreaterThan(failed.completedAt ?? Number.POSITIVE_INFINITY);
      expect(await read("wf-1")).toEqual(resumed);
    });

    it("starts a fork when it is created", async () => {
      await fx.store.createWorkflow(newWorkflow("wf-1"));
      await fx.store.finishWorkflow(success("wf-1"));
      const fork = await fx.store.forkWorkflow({
        sourceId: "wf-1",
        newId: "wf-1-fork",
        fromPosition: 0,
        executorId: "executor-a",
      });
      expect(fork?.workflow.startedAt).toBe(fork?.workflow.createdAt);
      expect(fork?.workflow.completedAt).toBeUndefined();
    });
  });
}
