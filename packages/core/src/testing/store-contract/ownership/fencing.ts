/**
 * Contract tests for ownership: owner epochs, fenced writes (`recordStep`, `consumeMessage`,
 * `setEvent`, `writeStream`, `finishWorkflow`) and application versions on workflows.
 */
import { describe, expect, it } from "vitest";
import { WorkflowOwnershipLostError } from "../../../errors.js";
import type { Fence, StepRecord } from "../../../store/records.js";
import { type Fixture, claimFor, failure, ids, newWorkflow, stepAt, success } from "../fixtures.js";

/** The fence of executor-a at `epoch`. */
const fenceA = (epoch: number): Fence => ({ executorId: "executor-a", epoch });

/** A `recv` checkpoint at `position`; the store fills in the output. */
const recvAt = (position: number): StepRecord =>
  stepAt("wf-1", position, { name: "cairn.recv", output: undefined });

/** Expects `write` to reject with the ownership error of executor-a on wf-1. */
async function expectFenced(write: Promise<unknown>, executorId = "executor-a"): Promise<void> {
  const error: unknown = await write.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(WorkflowOwnershipLostError.is(error)).toBe(true);
  expect(error).toMatchObject({ code: "WORKFLOW_OWNERSHIP_LOST", workflowId: "wf-1", executorId });
}

export function describeOwnership(fx: Fixture): void {
  /** Creates wf-1 and claims it once, so its epoch is 1 and fence 0 is stale. */
  const claimedOnce = async (): Promise<void> => {
    await fx.store.createWorkflow(newWorkflow("wf-1"));
    const { recovered } = await fx.store.claimRecoverable(claimFor());
    expect(recovered[0]?.ownerEpoch).toBe(1);
  };

  describe("owner epochs", () => {
    it("starts a workflow at epoch 0 and increments it on every claim and resume", async () => {
      const { workflow } = await fx.store.createWorkflow(newWorkflow("wf-1"));
      expect(workflow.ownerEpoch).toBe(0);
      await fx.store.claimRecoverable(claimFor());
      const second = await fx.store.claimRecoverable(claimFor());
      expect(second.recovered[0]?.ownerEpoch).toBe(2);
      await fx.store.finishWorkflow(failure("wf-1"));
      expect((await fx.store.getWorkflow("wf-1"))?.ownerEpoch).toBe(2);
      expect((await fx.store.resumeWorkflow("wf-1", "executor-b"))?.ownerEpoch).toBe(3);
      expect((await fx.store.getWorkflow("wf-1"))?.ownerEpoch).toBe(3);
    });
  });

  describe("fenced writes", () => {
    it("records a step under the current fence", async () => {
      await claimedOnce();
      expect(await fx.store.recordStep(stepAt("wf-1", 0), fenceA(1))).toBe(true);
      expect(await fx.store.recordStep(stepAt("wf-1", 0), fenceA(1))).toBe(false);
      expect((await fx.store.listSteps("wf-1")).map((s) => s.position)).toEqual([0]);
    });

    it("rejects a step under a stale epoch and records nothing", async () => {
      await fx.store.createWorkflow(newWorkflow("wf-1"));
      expect(await fx.store.recordStep(stepAt("wf-1", 0), fenceA(0))).toBe(true);
      await fx.store.claimRecoverable(claimFor());
      await expectFenced(fx.store.recordStep(stepAt("wf-1", 1), fenceA(0)));
      expect((await fx.store.listSteps("wf-1")).map((s) => s.position)).toEqual([0]);
    });

    it("rejects a stale step even at a position already recorded, leaving it unchanged", async () => {
      await fx.store.createWorkflow(newWorkflow("wf-1"));
      await fx.store.recordStep(stepAt("wf-1", 0), fenceA(0));
      await fx.store.claimRecoverable(claimFor());
      await expectFenced(fx.store.recordStep(stepAt("wf-1", 0, { output: '"late"' }), fenceA(0)));
      expect((await fx.store.listSteps("wf-1"))[0]?.output).toBe('"out-0"');
    });

    it("rejects a fence of another executor, and one for a workflow that does not exist", async () => {
      await fx.store.createWorkflow(newWorkflow("wf-1"));
      const other = { executorId: "executor-b", epoch: 0 };
      await expectFenced(fx.store.recordStep(stepAt("wf-1", 0), other), "executor-b");
      const missing = fx.store.recordStep(stepAt("nope", 0), fenceA(0));
      await expect(missing).rejects.toMatchObject({ code: "WORKFLOW_OWNERSHIP_LOST" });
      expect(await fx.store.listSteps("wf-1")).toEqual([]);
      expect(await fx.store.listSteps("nope")).toEqual([]);
    });

    it("fences each step of a concurrent batch on its own", async () => {
      await fx.store.createWorkflow(newWorkflow("wf-1"));
      await fx.store.createWorkflow(newWorkflow("wf-2"));
      await fx.store.claimRecoverable(claimFor());
      const results = await Promise.allSettled([
        fx.store.recordStep(stepAt("wf-1", 0), fenceA(1)),
        fx.store.recordStep(stepAt("wf-2", 0), fenceA(0)),
        fx.store.recordStep(stepAt("wf-1", 1)),
        fx.store.recordStep(stepAt("wf-2", 1), fenceA(1)),
      ]);
      expect(results.map((r) => r.status)).toEqual([
        "fulfilled",
        "rejected",
        "fulfilled",
        "fulfilled",
      ]);
      expect((await fx.store.listSteps("wf-2")).map((s) => s.position)).toEqual([1]);
    });

    it("still accepts unfenced writes after a claim", async () => {
      await claimedOnce();
      expect(await fx.store.recordStep(stepAt("wf-1", 0))).toBe(true);
      await fx.store.setEvent({ workflowId: "wf-1", key: "k", value: '"v"' });
      expect(await fx.store.getEvent("wf-1", "k")).toBe('"v"');
      expect(await fx.store.finishWorkflow(success("wf-1"))).toBe(true);
    });

    it("rejects a stale consumeMessage and leaves the message for the owner", async () => {
      await claimedOnce();
      await fx.store.sendMessage({
        destinationId: "wf-1",
        topic: "t",
        message: '"m"',
        messageId: "m-1",
      });
      await expectFenced(fx.store.consumeMessage("t", recvAt(0), fenceA(0)));
      expect(await fx.store.listSteps("wf-1")).toEqual([]);
      const taken = await fx.store.consumeMessage("t", recvAt(0), fenceA(1));
      expect(taken?.output).toBe('"m"');
    });

    it("rejects a stale setEvent, with or without its step, and sets nothing", async () => {
      await claimedOnce();
      await expectFenced(
        fx.store.setEvent({ workflowId: "wf-1", key: "k", value: '"late"' }, undefined, fenceA(0)),
      );
      await expectFenced(
        fx.store.setEvent(
          { workflowId: "wf-1", key: "k", value: '"late"' },
          stepAt("wf-1", 0),
          fenceA(0),
        ),
      );
      expect(await fx.store.getEvent("wf-1", "k")).toBeUndefined();
      expect(await fx.store.listSteps("wf-1")).toEqual([]);
      await fx.store.setEvent(
        { workflowId: "wf-1", key: "k", value: '"owner"' },
        stepAt("wf-1", 0),
        fenceA(1),
      );
      expect(await fx.store.getEvent("wf-1", "k")).toBe('"owner"');
    });

    it("rejects a stale writeStream and appends nothing", async () => {
      await claimedOnce();
      const entry = { workflowId: "wf-1", key: "s", value: '"late"', closed: false };
      await expectFenced(fx.store.writeStream(entry, stepAt("wf-1", 0), fenceA(0)));
      expect(await fx.store.readStream("wf-1", "s", 0, 10)).toEqual([]);
      expect(await fx.store.listSteps("wf-1")).toEqual([]);
      await fx.store.writeStream({ ...entry, value: '"owner"' }, stepAt("wf-1", 0), fenceA(1));
      expect(await fx.store.readStream("wf-1", "s", 0, 10)).toEqual([
        { offset: 0, value: '"owner"', closed: false },
      ]);
    });

    it("finishes only at the current epoch and owner; a stale fence is rejected and changes nothing", async () => {
      await claimedOnce();
      const before = await fx.store.getWorkflow("wf-1");
      await expectFenced(fx.store.finishWorkflow(success("wf-1"), fenceA(0)));
      const otherOwner = { executorId: "executor-b", epoch: 1 };
      await expectFenced(
        fx.store.finishWorkflow({ ...success("wf-1"), executorId: "executor-b" }, otherOwner),
        "executor-b",
      );
      expect(await fx.store.getWorkflow("wf-1")).toEqual(before);
      expect(await fx.store.finishWorkflow(success("wf-1"), fenceA(1))).toBe(true);
      expect((await fx.store.getWorkflow("wf-1"))?.status).toBe("SUCCESS");
    });

    it("answers false to a fenced outcome of a workflow that is no longer PENDING", async () => {
      await claimedOnce();
      await fx.store.cancelWorkflow("wf-1", { children: false });
      expect(await fx.store.finishWorkflow(success("wf-1"), fenceA(1))).toBe(false);
      expect((await fx.store.getWorkflow("wf-1"))?.status).toBe("CANCELLED");
    });
  });

  describe("application versions", () => {
    it("stores a workflow's appVersion, undefined when none is given", async () => {
      await fx.store.createWorkflow(newWorkflow("pinned", { appVersion: "v1" }));
      await fx.store.createWorkflow(newWorkflow("any"));
      expect((await fx.store.getWorkflow("pinned"))?.appVersion).toBe("v1");
      expect((await fx.store.getWorkflow("any"))?.appVersion).toBeUndefined();
      expect(ids(await fx.store.listWorkflows({ appVersion: "v1" }))).toEqual(["pinned"]);
    });

    it("claims only workflows of the claim's version or of none while another version is served", async () => {
      await fx.store.heartbeat({ executorId: "executor-c", appVersion: "v2", leaseMs: 600_000 });
      await fx.store.createWorkflow(newWorkflow("v1", { appVersion: "v1" }));
      await fx.store.createWorkflow(newWorkflow("v2", { appVersion: "v2" }));
      await fx.store.createWorkflow(newWorkflow("any"));
      const { workflow: before } = await fx.store.createWorkflow(
        newWorkflow("v2-legacy", { appVersion: "v2", name: "legacy" }),
      );
      const result = await fx.store.claimRecoverable(claimFor({ appVersion: "v1" }));
      expect(ids(result.recovered)).toEqual(["any", "v1"]);
      expect(result.unknown).toEqual([]);
      expect((await fx.store.getWorkflow("v2"))?.ownerEpoch).toBe(0);
      expect(await fx.store.getWorkflow("v2-legacy")).toEqual(before);
      const all = await fx.store.claimRecoverable(claimFor());
      expect(ids(all.recovered)).toEqual(["any", "v1", "v2"]);
    });

    it("claims a version no live executor runs any more (orphaned by a deploy)", async () => {
      await fx.store.heartbeat({ executorId: "executor-c", appVersion: "v0", leaseMs: 600_000 });
      await fx.store.createWorkflow(newWorkflow("old", { appVersion: "v0" }));
      await fx.store.createWorkflow(
        newWorkflow("old-legacy", { appVersion: "v0", name: "legacy" }),
      );
      const served = await fx.store.claimRecoverable(claimFor({ appVersion: "v1" }));
      expect(served).toEqual({ recovered: [], deadLettered: [], unknown: [] });
      await fx.store.stopExecutor("executor-c");
      const orphaned = await fx.store.claimRecoverable(claimFor({ appVersion: "v1" }));
      expect(ids(orphaned.recovered)).toEqual(["old"]);
      expect(orphaned.recovered[0]?.appVersion).toBe("v0");
      expect(orphaned.unknown).toEqual([{ workflowId: "old-legacy", name: "legacy" }]);
    });

    it("moves PENDING workflows to another version and returns exactly those", async () => {
      await fx.store.createWorkflow(newWorkflow("a", { appVersion: "v1" }));
      await fx.store.createWorkflow(newWorkflow("b"));
      await fx.store.createWorkflow(newWorkflow("done", { appVersion: "v1" }));
      await fx.store.finishWorkflow(success("done"));
      const moved = await fx.store.setAppVersion(["b", "done", "nope", "a"], "v2");
      expect(moved).toEqual(["b", "a"]);
      expect((await fx.store.getWorkflow("a"))?.appVersion).toBe("v2");
      expect((await fx.store.getWorkflow("b"))?.appVersion).toBe("v2");
      expect((await fx.store.getWorkflow("done"))?.appVersion).toBe("v1");
      expect(await fx.store.setAppVersion([], "v3")).toEqual([]);
    });
  });
}
