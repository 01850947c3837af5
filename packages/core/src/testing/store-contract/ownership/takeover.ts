/**
 * Contract tests for executors and takeover: heartbeats and expiry on the store clock, and
 * `takeOver` moving the PENDING workflows of stopped, expired or unknown executors to the caller,
 * under the version rule, with limits, attempts and dead letters as in recovery.
 */
import { describe, expect, it } from "vitest";
import type { TakeoverClaim } from "../../../store/ownership-store.js";
import { type Fixture, ids, newWorkflow, stepAt, success } from "../fixtures.js";

/** Long enough that a live executor never expires during a test. */
const LONG_LEASE_MS = 600_000;

/** Real time waited for a 1 ms lease to pass on the store's clock. */
const EXPIRY_WAIT_MS = 20;

const takeoverFor = (patch: Partial<TakeoverClaim> = {}): TakeoverClaim => ({
  executorId: "executor-b",
  names: ["checkout"],
  maxRecoveryAttempts: {},
  limit: 100,
  ...patch,
});

const wait = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export function describeTakeover(fx: Fixture): void {
  const alive = (executorId: string, appVersion?: string, leaseMs = LONG_LEASE_MS) =>
    fx.store.heartbeat({ executorId, appVersion, leaseMs });

  describe("executors", () => {
    it("lists an executor once it heartbeats, alive and not expired", async () => {
      await alive("executor-a", "v1");
      const [listed, ...rest] = await fx.store.listExecutors();
      expect(rest).toEqual([]);
      expect(listed).toMatchObject({
        executorId: "executor-a",
        appVersion: "v1",
        status: "alive",
        leaseMs: LONG_LEASE_MS,
        expired: false,
      });
      expect(typeof listed?.heartbeatAt).toBe("number");
    });

    it("moves heartbeatAt forward and takes the new version and lease on each heartbeat", async () => {
      await alive("executor-a", "v1");
      const [first] = await fx.store.listExecutors();
      await wait(5);
      await alive("executor-a", undefined, 1_000_000);
      const [second] = await fx.store.listExecutors();
      expect(second?.heartbeatAt).toBeGreaterThan(first?.heartbeatAt ?? Infinity);
      expect(second).toMatchObject({ appVersion: undefined, leaseMs: 1_000_000, expired: false });
    });

    it("reports an executor expired once its lease passed without a heartbeat", async () => {
      await alive("executor-a", undefined, 1);
      await wait(EXPIRY_WAIT_MS);
      expect(await fx.store.listExecutors()).toMatchObject([
        { executorId: "executor-a", status: "alive", expired: true },
      ]);
      await alive("executor-a");
      expect(await fx.store.listExecutors()).toMatchObject([{ expired: false }]);
    });

    it("marks a stopped executor stopped and expired, and alive again when it heartbeats", async () => {
      await alive("executor-a");
      await alive("executor-b");
      await fx.store.stopExecutor("executor-a");
      await fx.store.stopExecutor("never-seen");
      const listed = await fx.store.listExecutors();
      expect(listed.map((e) => [e.executorId, e.status, e.expired]).sort()).toEqual([
        ["executor-a", "stopped", true],
        ["executor-b", "alive", false],
      ]);
      await alive("executor-a");
      const again = await fx.store.listExecutors();
      expect(again.find((e) => e.executorId === "executor-a")?.status).toBe("alive");
    });
  });

  describe("takeOver", () => {
    it("takes the PENDING workflows of a stopped executor, with a new epoch and one attempt", async () => {
      await alive("executor-a");
      await alive("executor-b");
      await fx.store.createWorkflow(newWorkflow("wf-1"));
      await fx.store.createWorkflow(newWorkflow("wf-2"));
      await fx.store.createWorkflow(newWorkflow("done"));
      await fx.store.finishWorkflow(success("done"));
      const done = await fx.store.getWorkflow("done");
      expect((await fx.store.takeOver(takeoverFor())).recovered).toEqual([]);
      await fx.store.stopExecutor("executor-a");
      const result = await fx.store.takeOver(takeoverFor());
      expect(ids(result.recovered)).toEqual(["wf-1", "wf-2"]);
      for (const row of result.recovered) {
        expect(row).toMatchObject({
          status: "PENDING",
          executorId: "executor-b",
          ownerEpoch: 1,
          recoveryAttempts: 1,
        });
      }
      expect(result.deadLettered).toEqual([]);
      expect(await fx.store.getWorkflow("wf-1")).toEqual(
        result.recovered.find((w) => w.workflowId === "wf-1"),
      );
      expect(await fx.store.getWorkflow("done")).toEqual(done);
    });

    it("fences off the previous owner: its writes are rejected, the new owner's land", async () => {
      await fx.store.createWorkflow(newWorkflow("wf-1"));
      await fx.store.takeOver(takeoverFor());
      const stale = { executorId: "executor-a", epoch: 0 };
      const late = fx.store.recordStep(stepAt("wf-1", 0), stale);
      await expect(late).rejects.toMatchObject({ code: "WORKFLOW_OWNERSHIP_LOST" });
      const lateFinish = fx.store.finishWorkflow(success("wf-1"), stale);
      await expect(lateFinish).rejects.toMatchObject({ code: "WORKFLOW_OWNERSHIP_LOST" });
      const owner = { executorId: "executor-b", epoch: 1 };
      expect(await fx.store.recordStep(stepAt("wf-1", 0), owner)).toBe(true);
    });

    it("takes the workflows of an executor that never heartbeated", async () => {
      await alive("executor-b");
      await fx.store.createWorkflow(newWorkflow("wf-1", { executorId: "ghost" }));
      expect(ids((await fx.store.takeOver(takeoverFor())).recovered)).toEqual(["wf-1"]);
    });

    it("takes the workflows of an executor whose lease expired", async () => {
      await alive("executor-a", undefined, 1);
      await fx.store.createWorkflow(newWorkflow("wf-1"));
      await wait(EXPIRY_WAIT_MS);
      expect(ids((await fx.store.takeOver(takeoverFor())).recovered)).toEqual(["wf-1"]);
    });

    it("leaves a live executor's workflows alone, unless told to ignore leases", async () => {
      await alive("executor-a");
      await fx.store.createWorkflow(newWorkflow("wf-1"));
      const before = await fx.store.getWorkflow("wf-1");
      expect(await fx.store.takeOver(takeoverFor())).toMatchObject({
        recovered: [],
        deadLettered: [],
      });
      expect(await fx.store.getWorkflow("wf-1")).toEqual(before);
      const forced = await fx.store.takeOver(takeoverFor({ ignoreLeases: true }));
      expect(ids(forced.recovered)).toEqual(["wf-1"]);
    });

    it("never takes the caller's own workflows, even when it is not heartbeating", async () => {
      await fx.store.createWorkflow(newWorkflow("mine", { executorId: "executor-b" }));
      await fx.store.createWorkflow(newWorkflow("theirs", { executorId: "executor-c" }));
      const result = await fx.store.takeOver(takeoverFor({ ignoreLeases: true }));
      expect(ids(result.recovered)).toEqual(["theirs"]);
      expect((await fx.store.getWorkflow("mine"))?.ownerEpoch).toBe(0);
    });

    it("takes only workflows whose names it knows, reporting the others as unknown, untouched", async () => {
      await alive("executor-c");
      await fx.store.createWorkflow(newWorkflow("known"));
      const { workflow: before } = await fx.store.createWorkflow(
        newWorkflow("stranger", { name: "legacy" }),
      );
      await fx.store.createWorkflow(
        newWorkflow("live", { name: "legacy", executorId: "executor-c" }),
      );
      const result = await fx.store.takeOver(takeoverFor());
      expect(ids(result.recovered)).toEqual(["known"]);
      expect(result.unknown).toEqual([{ workflowId: "stranger", name: "legacy" }]);
      expect(await fx.store.getWorkflow("stranger")).toEqual(before);
    });

    it("takes at most limit workflows per call, and each workflow once", async () => {
      for (let i = 0; i < 5; i++) await fx.store.createWorkflow(newWorkflow(`wf-${i}`));
      await alive("executor-b");
      const batches: string[][] = [];
      for (let i = 0; i < 4; i++) {
        batches.push(ids((await fx.store.takeOver(takeoverFor({ limit: 2 }))).recovered));
      }
      expect(batches.map((b) => b.length)).toEqual([2, 2, 1, 0]);
      expect(batches.flat().sort()).toEqual(["wf-0", "wf-1", "wf-2", "wf-3", "wf-4"]);
    });

    it("takes its own version, no version, and versions no live executor runs", async () => {
      await alive("executor-b", "v2");
      await alive("executor-c", "v1");
      await fx.store.createWorkflow(newWorkflow("same", { appVersion: "v2" }));
      await fx.store.createWorkflow(newWorkflow("any"));
      await fx.store.createWorkflow(newWorkflow("served", { appVersion: "v1" }));
      await fx.store.createWorkflow(newWorkflow("orphaned", { appVersion: "v0" }));
      const first = await fx.store.takeOver(takeoverFor({ appVersion: "v2" }));
      expect(ids(first.recovered)).toEqual(["any", "orphaned", "same"]);
      expect((await fx.store.getWorkflow("orphaned"))?.appVersion).toBe("v0");
      await fx.store.stopExecutor("executor-c");
      const second = await fx.store.takeOver(takeoverFor({ appVersion: "v2" }));
      expect(ids(second.recovered)).toEqual(["served"]);
    });

    it("takes every version when the claim names none", async () => {
      await alive("executor-c", "v1");
      await fx.store.createWorkflow(newWorkflow("served", { appVersion: "v1" }));
      expect(ids((await fx.store.takeOver(takeoverFor())).recovered)).toEqual(["served"]);
    });

    it("counts attempts across takeovers like recovery, and dead-letters past the limit", async () => {
      await fx.store.createWorkflow(newWorkflow("wf-1"));
      const limits = { maxRecoveryAttempts: { checkout: 2 } };
      const byB = await fx.store.takeOver(takeoverFor(limits));
      expect(byB.recovered[0]).toMatchObject({ executorId: "executor-b", recoveryAttempts: 1 });
      const byC = await fx.store.takeOver(takeoverFor({ ...limits, executorId: "executor-c" }));
      expect(byC.recovered[0]).toMatchObject({ executorId: "executor-c", recoveryAttempts: 2 });
      const byB2 = await fx.store.takeOver(takeoverFor(limits));
      expect(byB2.recovered).toEqual([]);
      expect(byB2.deadLettered).toHaveLength(1);
      expect(byB2.deadLettered[0]).toMatchObject({
        workflowId: "wf-1",
        status: "DEAD_LETTER",
        recoveryAttempts: 3,
        ownerEpoch: 3,
      });
      expect(await fx.store.getWorkflow("wf-1")).toEqual(byB2.deadLettered[0]);
      expect(
        (await fx.store.takeOver(takeoverFor({ executorId: "executor-c" }))).recovered,
      ).toEqual([]);
    });

    it("resets attempts to 1 when the workflow made progress since the last claim", async () => {
      await fx.store.createWorkflow(newWorkflow("wf-1"));
      await fx.store.takeOver(takeoverFor());
      await fx.store.takeOver(takeoverFor({ executorId: "executor-c" }));
      await fx.store.recordStep(stepAt("wf-1", 0));
      const result = await fx.store.takeOver(takeoverFor());
      expect(result.recovered[0]?.recoveryAttempts).toBe(1);
    });
  });
}
