/**
 * Contract tests for the schedules' rows: the latest tick of a schedule (in code or stored), and
 * schedules stored at runtime (create, update by revision, delete, read, list).
 */
import { describe, expect, it } from "vitest";
import type { NewStoredSchedule } from "../../queue-store.js";
import type { QueueFixture } from "./fixtures.js";

const nightly: NewStoredSchedule = {
  name: "nightly",
  cron: "0 3 * * *",
  workflowName: "report",
  timezone: "UTC",
  missed: "skip",
  maxBackfill: 10,
  queueName: undefined,
  partitionKey: undefined,
  context: undefined,
  paused: false,
};

export function describeSchedules(fx: QueueFixture): void {
  describe("schedule ticks", () => {
    it("keeps the latest tick recorded", async () => {
      expect(await fx.queues.lastTick("code")).toBeUndefined();
      await fx.queues.recordTick("code", 2_000);
      await fx.queues.recordTick("code", 1_000);
      expect(await fx.queues.lastTick("code")).toBe(2_000);
      await fx.queues.recordTick("code", 3_000);
      expect(await fx.queues.lastTick("code")).toBe(3_000);
    });
  });

  describe("stored schedules", () => {
    it("stores, reads and lists a schedule, with every field", async () => {
      const hourly = {
        ...nightly,
        name: "hourly",
        cron: "0 * * * *",
        queueName: "reports",
        partitionKey: "t1",
        context: '{"team":1}',
        missed: "backfill" as const,
        paused: true,
      };
      expect(await fx.queues.createSchedule(nightly)).toBe(true);
      expect(await fx.queues.createSchedule(hourly)).toBe(true);
      const read = await fx.queues.getSchedule("hourly");
      expect(read).toMatchObject({ ...hourly, revision: 0, lastTickAt: undefined });
      expect(read?.updatedAt).toBeGreaterThanOrEqual(read?.createdAt ?? Infinity);
      expect((await fx.queues.listSchedules()).map((s) => s.name)).toEqual(["hourly", "nightly"]);
      await fx.queues.recordTick("nightly", 5_000);
      expect((await fx.queues.getSchedule("nightly"))?.lastTickAt).toBe(5_000);
    });

    it("refuses a name taken by a stored schedule or by the ticks of one in code", async () => {
      expect(await fx.queues.createSchedule(nightly)).toBe(true);
      expect(await fx.queues.createSchedule({ ...nightly, cron: "* * * * *" })).toBe(false);
      expect((await fx.queues.getSchedule("nightly"))?.cron).toBe("0 3 * * *");
      await fx.queues.recordTick("in-code", 1_000);
      expect(await fx.queues.createSchedule({ ...nightly, name: "in-code" })).toBe(false);
      expect(await fx.queues.getSchedule("in-code")).toBeUndefined();
      expect((await fx.queues.listSchedules()).map((s) => s.name)).toEqual(["nightly"]);
    });

    it("updates only at the revision the caller read", async () => {
      await fx.queues.createSchedule(nightly);
      const updated = await fx.queues.updateSchedule({ ...nightly, paused: true }, 0);
      expect(updated).toMatchObject({ paused: true, revision: 1 });
      expect(await fx.queues.updateSchedule({ ...nightly, cron: "* * * * *" }, 0)).toBeUndefined();
      expect(await fx.queues.getSchedule("nightly")).toMatchObject({ paused: true, revision: 1 });
      expect(await fx.queues.updateSchedule({ ...nightly, name: "none" }, 0)).toBeUndefined();
    });

    it("deletes a stored schedule, never the ticks of one in code", async () => {
      await fx.queues.createSchedule(nightly);
      await fx.queues.recordTick("in-code", 1_000);
      expect(await fx.queues.deleteSchedule("nightly")).toBe(true);
      expect(await fx.queues.deleteSchedule("nightly")).toBe(false);
      expect(await fx.queues.deleteSchedule("in-code")).toBe(false);
      expect(await fx.queues.lastTick("in-code")).toBe(1_000);
      expect(await fx.queues.listSchedules()).toEqual([]);
    });
  });
}
