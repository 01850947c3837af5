/** Contract tests for `claimRecoverable`: launch-time recovery and dead letters. */
import { describe, expect, it } from "vitest";
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

export function describeRecovery(fx: Fixture): void {
  describe("claimRecoverable", () => {
    it("returns empty lists when nothing is pending", async () => {
      expect(await fx.store.claimRecoverable(claimFor())).toEqual({
        recovered: [],
        deadLettered: [],
        unknown: [],
      });
    });

    it("claims only this executor's PENDING workflows and increments recoveryAttempts", async () => {
      await fx.store.createWorkflow(newWorkflow("mine-1"));
      await fx.store.createWorkflow(newWorkflow("mine-2"));
      await fx.store.createWorkflow(newWorkflow("theirs", { executorId: "executor-b" }));
      const result = await fx.store.claimRecoverable(claimFor());
      expect(ids(result.recovered)).toEqual(["mine-1", "mine-2"]);
      for (const row of result.recovered)
        expect(row).toMatchObject({ status: "PENDING", recoveryAttempts: 1 });
      expect(result.deadLettered).toEqual([]);
      expect((await fx.store.getWorkflow("mine-1"))?.recoveryAttempts).toBe(1);
      expect((await fx.store.getWorkflow("theirs"))?.recoveryAttempts).toBe(0);
    });

    it("reports PENDING workflows with unregistered names as unknown and leaves them untouched", async () => {
      await fx.store.createWorkflow(newWorkflow("known"));
      const { workflow: before } = await fx.store.createWorkflow(
        newWorkflow("stranger", { name: "legacy" }),
      );
      const result = await fx.store.claimRecoverable(claimFor());
      expect(result.unknown).toEqual([{ workflowId: "stranger", name: "legacy" }]);
      expect(ids(result.recovered)).toEqual(["known"]);
      expect(await fx.store.getWorkflow("stranger")).toEqual(before);
    });

    it("does not touch finished workflows", async () => {
      await fx.store.createWorkflow(newWorkflow("ok"));
      await fx.store.finishWorkflow(success("ok"));
      await fx.store.createWorkflow(newWorkflow("failed", { name: "legacy" }));
      await fx.store.finishWorkflow(failure("failed", "1"));
      const before = [await fx.store.getWorkflow("ok"), await fx.store.getWorkflow("failed")];
      expect(await fx.store.claimRecoverable(claimFor())).toEqual({
        recovered: [],
        deadLettered: [],
        unknown: [],
      });
      expect([await fx.store.getWorkflow("ok"), await fx.store.getWorkflow("failed")]).toEqual(
        before,
      );
    });

    it("increments recoveryAttempts on every claim without new checkpoints", async () => {
      await fx.store.createWorkflow(newWorkflow("wf-1"));
      await fx.store.recordStep(stepAt("wf-1", 0));
      const attempts: number[] = [];
      for (let i = 0; i < 3; i++) {
        attempts.push(
          (await fx.store.claimRecoverable(claimFor())).recovered[0]?.recoveryAttempts ?? -1,
        );
      }
      expect(attempts).toEqual([1, 2, 3]);
    });

    it("resets recoveryAttempts to 1 when checkpoints were recorded since the previous claim", async () => {
      await fx.store.createWorkflow(newWorkflow("wf-1"));
      await fx.store.claimRecoverable(claimFor());
      await fx.store.claimRecoverable(claimFor());
      await fx.store.recordStep(stepAt("wf-1", 0));
      const afterProgress = await fx.store.claimRecoverable(claimFor());
      expect(afterProgress.recovered[0]?.recoveryAttempts).toBe(1);
      const noProgress = await fx.store.claimRecoverable(claimFor());
      expect(noProgress.recovered[0]?.recoveryAttempts).toBe(2);
    });

    it("dead-letters a workflow whose attempts exceed its name's limit, and never claims it again", async () => {
      await fx.store.createWorkflow(newWorkflow("wf-1"));
      const claim = claimFor({ maxRecoveryAttempts: { checkout: 2 } });
      expect((await fx.store.claimRecoverable(claim)).recovered).toHaveLength(1);
      expect((await fx.store.claimRecoverable(claim)).recovered).toHaveLength(1);
      const third = await fx.store.claimRecoverable(claim);
      expect(third.recovered).toEqual([]);
      expect(third.deadLettered).toHaveLength(1);
      expect(third.deadLettered[0]).toMatchObject({
        workflowId: "wf-1",
        status: "DEAD_LETTER",
        recoveryAttempts: 3,
      });
      expect(third.deadLettered[0]?.error).toBeUndefined();
      expect(await fx.store.getWorkflow("wf-1")).toEqual(third.deadLettered[0]);
      expect(await fx.store.claimRecoverable(claim)).toEqual({
        recovered: [],
        deadLettered: [],
        unknown: [],
      });
      expect(await fx.store.finishWorkflow(success("wf-1"))).toBe(false);
    });

    it("applies each name's own limit and leaves names without a limit unlimited", async () => {
      await fx.store.createWorkflow(newWorkflow("strict", { name: "strict" }));
      await fx.store.createWorkflow(newWorkflow("lenient", { name: "lenient" }));
      await fx.store.createWorkflow(newWorkflow("unlimited", { name: "unlimited" }));
      const claim = claimFor({
        names: ["strict", "lenient", "unlimited"],
        maxRecoveryAttempts: { strict: 0, lenient: 5 },
      });
      const first = await fx.store.claimRecoverable(claim);
      expect(ids(first.deadLettered)).toEqual(["strict"]);
      expect(ids(first.recovered)).toEqual(["lenient", "unlimited"]);
      for (let i = 0; i < 5; i++) await fx.store.claimRecoverable(claim);
      const seventh = await fx.store.claimRecoverable(claim);
      expect(ids(seventh.recovered)).toEqual(["unlimited"]);
      expect(seventh.recovered[0]?.recoveryAttempts).toBe(7);
    });

    it("with countAttempts false moves every workflow to a new epoch without counting or dead-lettering", async () => {
      await fx.store.createWorkflow(newWorkflow("wf-1"));
      await fx.store.claimRecoverable(claimFor());
      const { recovered: twice } = await fx.store.claimRecoverable(claimFor());
      expect(twice[0]).toMatchObject({ recoveryAttempts: 2 });
      await fx.store.recordStep(stepAt("wf-1", 0));
      const claim = claimFor({ maxRecoveryAttempts: { checkout: 0 } });
      const fenced = await fx.store.claimRecoverable({ ...claim, countAttempts: false });
      expect(fenced.deadLettered).toEqual([]);
      expect(fenced.recovered).toEqual([
        expect.objectContaining({
          workflowId: "wf-1",
          status: "PENDING",
          recoveryAttempts: 2,
          ownerEpoch: (twice[0]?.ownerEpoch ?? 0) + 1,
        }),
      ]);
      // The progress the count compares with is untouched too: the next counted claim sees the
      // checkpoint as new since the last counted one, and resets the count to 1.
      const counted = await fx.store.claimRecoverable(claimFor());
      expect(counted.recovered[0]).toMatchObject({ recoveryAttempts: 1 });
    });

    it("refundRecoveryAttempts gives back a claim's count only where that claim still holds", async () => {
      const { store } = fx;
      if (!store.refundRecoveryAttempts) return; // optional
      for (const id of ["kept", "moved", "done"]) await store.createWorkflow(newWorkflow(id));
      await store.claimRecoverable(claimFor());
      const { recovered } = await store.claimRecoverable(claimFor()); // 2 attempts each
      const claimed = recovered.map(({ workflowId, ownerEpoch }) => ({ workflowId, ownerEpoch }));
      await store.claimRecoverable({ ...claimFor(), workflowIds: ["moved"], countAttempts: false });
      await store.finishWorkflow(success("done"));
      expect(await store.refundRecoveryAttempts("executor-b", claimed)).toEqual([]);
      expect(await store.refundRecoveryAttempts("executor-a", claimed)).toEqual(["kept"]);
      expect(await store.getWorkflow("kept")).toMatchObject({
        recoveryAttempts: 1,
        ownerEpoch: recovered[0]?.ownerEpoch,
        executorId: "executor-a",
      });
      expect((await store.getWorkflow("moved"))?.recoveryAttempts).toBe(2);
      // The next claim counts as if the refunded one had not happened.
      const next = await store.claimRecoverable({ ...claimFor(), workflowIds: ["kept"] });
      expect(next.recovered[0]?.recoveryAttempts).toBe(2);
      expect(await store.refundRecoveryAttempts("executor-a", [])).toEqual([]);
    });

    it("refundRecoveryAttempts gives back one attempt for a workflow named twice", async () => {
      const { store } = fx;
      if (!store.refundRecoveryAttempts) return; // optional
      await store.createWorkflow(newWorkflow("twice"));
      await store.claimRecoverable(claimFor());
      const { recovered } = await store.claimRecoverable(claimFor()); // 2 attempts
      const { workflowId, ownerEpoch } = recovered[0] ?? { workflowId: "", ownerEpoch: 0 };
      const claimed = [{ workflowId, ownerEpoch }];
      expect(await store.refundRecoveryAttempts("executor-a", [...claimed, ...claimed])).toEqual([
        "twice",
      ]);
      expect((await store.getWorkflow("twice"))?.recoveryAttempts).toBe(1);
    });

    it("with workflowIds claims and counts only those, and reports unknown names among them only", async () => {
      for (const id of ["wf-1", "wf-2", "wf-3"]) await fx.store.createWorkflow(newWorkflow(id));
      await fx.store.createWorkflow(newWorkflow("stranger", { name: "legacy" }));
      await fx.store.createWorkflow(newWorkflow("theirs", { executorId: "executor-b" }));
      const result = await fx.store.claimRecoverable({
        ...claimFor(),
        workflowIds: ["wf-2", "wf-3", "theirs", "missing"],
      });
      expect(ids(result.recovered)).toEqual(["wf-2", "wf-3"]);
      expect(result.unknown).toEqual([]);
      expect((await fx.store.getWorkflow("wf-1"))?.recoveryAttempts).toBe(0);
      expect((await fx.store.getWorkflow("wf-2"))?.recoveryAttempts).toBe(1);
      expect((await fx.store.getWorkflow("theirs"))?.executorId).toBe("executor-b");
      const strangers = await fx.store.claimRecoverable({
        ...claimFor(),
        workflowIds: ["stranger"],
      });
      expect(strangers.unknown).toEqual([{ workflowId: "stranger", name: "legacy" }]);
    });

    it("hands rows back oldest first", async () => {
      for (const id of ["wf-b", "wf-a", "wf-c"]) {
        await fx.store.createWorkflow(newWorkflow(id));
        await nextMillisecond();
      }
      const { recovered } = await fx.store.claimRecoverable(claimFor());
      expect(recovered.map((r) => r.workflowId)).toEqual(["wf-b", "wf-a", "wf-c"]);
    });
  });
}
