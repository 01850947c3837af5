/**
 * Contract tests for what executors advertise: the workflow names of an executor's latest
 * heartbeat (clients check a start by name against them), and `listExecutors({ recentMs })`,
 * which leaves out executors whose lease ran out longer ago than that on the store clock.
 */
import { describe, expect, it } from "vitest";
import type { Fixture } from "../fixtures.js";

/** Long enough that a live executor never expires during a test. */
const LONG_LEASE_MS = 600_000;

const wait = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export function describeExecutorNames(fx: Fixture): void {
  const beat = (executorId: string, workflowNames?: string[], leaseMs = LONG_LEASE_MS) =>
    fx.store.heartbeat({
      executorId,
      appVersion: undefined,
      leaseMs,
      ...(workflowNames === undefined ? {} : { workflowNames }),
    });
  const listed = async (filter?: { recentMs: number }) =>
    Object.fromEntries(
      (await fx.store.listExecutors(filter)).map((e) => [e.executorId, e.workflowNames]),
    );

  describe("executors' workflow names", () => {
    it("keeps the names of the latest heartbeat, replacing earlier ones", async () => {
      const odd = ['quote " and \\ backslash', "comma, {brace}", "NULL", "ñandú 🪨", " spaced "];
      await beat("executor-a", ["checkout", ...odd]);
      expect((await listed())["executor-a"]).toEqual(["checkout", ...odd]);
      await beat("executor-a", ["refund"]);
      expect(await listed()).toEqual({ "executor-a": ["refund"] });
      await beat("executor-a", []);
      expect(await listed()).toEqual({ "executor-a": [] });
    });

    it("reports no names for an executor whose heartbeat advertised none", async () => {
      await beat("executor-a", ["checkout"]);
      await beat("executor-a");
      await beat("executor-b");
      expect(await listed()).toEqual({ "executor-a": undefined, "executor-b": undefined });
    });

    it("lists with recentMs only executors whose lease ran out at most that long ago", async () => {
      await beat("expired", ["checkout"], 1);
      await beat("alive", ["checkout"]);
      await beat("stopped", ["refund"]);
      await fx.store.stopExecutor("stopped");
      // The 1 ms lease passes on the store clock (the hang guard is the test's timeout).
      while (!(await fx.store.listExecutors()).find((e) => e.executorId === "expired")?.expired) {
        await wait(5);
      }
      // A stopped executor counts from its last heartbeat's lease, as an expired one does.
      expect(Object.keys(await listed({ recentMs: 0 })).sort()).toEqual(["alive", "stopped"]);
      expect(Object.keys(await listed({ recentMs: LONG_LEASE_MS })).sort()).toEqual([
        "alive",
        "expired",
        "stopped",
      ]);
      expect(Object.keys(await listed()).sort()).toEqual(["alive", "expired", "stopped"]);
    });
  });
}
