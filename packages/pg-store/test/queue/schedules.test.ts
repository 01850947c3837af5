/**
 * Cron schedules through real engines on Postgres and PGlite, on a manual clock (no test waits
 * for a real minute): one workflow per tick with the tick in its ID and input, one per tick also
 * with two engines firing, backfill or skip of ticks missed while nothing ran, and ticks enqueued
 * on a queue.
 */
import { workflow } from "@cairn/core";
import { defineQueue, schedule, type ScheduledRun } from "@cairn/queue";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { Closers, engineBackends, type TestDatabase } from "../support/engine-databases.js";
import { ManualClock, eventually, launchQueueEngine } from "./support.js";

const fired: string[] = [];
const report = workflow({ name: "report" }, async (_ctx, run: ScheduledRun) => {
  fired.push(run.scheduledAt.toISOString());
  return `${run.scheduleName}@${run.scheduledAt.toISOString()}`;
});
const workflows = [report];

const T0 = Date.parse("2026-05-01T00:00:30Z");
const minute = (n: number) => Date.parse("2026-05-01T00:00:00Z") + n * 60_000;

describe.each(engineBackends)("schedules on $name", (backend) => {
  const closers = new Closers();
  let db: TestDatabase;

  beforeAll(() => backend.open());
  afterAll(() => backend.close());
  afterEach(async () => {
    await closers.closeAll();
    await db.drop();
    fired.length = 0;
  });

  const launch = async (options: Parameters<typeof launchQueueEngine>[1]) => {
    const launched = await launchQueueEngine(db, options);
    closers.add(launched.engine, (e) => e.shutdown());
    return launched;
  };

  /** The scheduled workflows' IDs, sorted. */
  const scheduledIds = async (engine: Awaited<ReturnType<typeof launch>>["engine"]) =>
    (await engine.listWorkflows({ name: "report" })).map((w) => w.workflowId).sort();

  it.skipIf(backend.skip)(
    "starts one workflow per tick, with the tick time in its ID and input",
    async () => {
      db = backend.database();
      const clock = new ManualClock(T0);
      const every = schedule("every-minute", "* * * * *", report);
      const { engine } = await launch({ workflows, schedules: [every], clock });
      await eventually(() => clock.sleeping === 1, 5_000, "the schedule to sleep");
      clock.set(minute(1));
      const id = "cron:every-minute:2026-05-01T00:01:00.000Z";
      await eventually(async () => (await scheduledIds(engine)).includes(id), 5_000, "tick 1");
      await expect(engine.retrieve(report, id).result()).resolves.toBe(
        "every-minute@2026-05-01T00:01:00.000Z",
      );
      await eventually(() => clock.sleeping === 1, 5_000, "the next sleep");
      clock.set(minute(3) + 5_000); // two ticks passed while the loop slept: both fire
      await eventually(async () => (await scheduledIds(engine)).length === 3, 5_000, "ticks 2, 3");
      expect(await scheduledIds(engine)).toEqual([
        "cron:every-minute:2026-05-01T00:01:00.000Z",
        "cron:every-minute:2026-05-01T00:02:00.000Z",
        "cron:every-minute:2026-05-01T00:03:00.000Z",
      ]);
    },
  );

  it.skipIf(backend.skip)("creates one workflow per tick when two engines fire it", async () => {
    db = backend.database();
    const clock = new ManualClock(T0);
    const every = schedule("shared", "* * * * *", report);
    const a = await launch({ workflows, schedules: [every], clock });
    await launch({ workflows, schedules: [every], clock });
    for (let n = 1; n <= 3; n++) {
      await eventually(() => clock.sleeping === 2, 5_000, `both engines asleep before tick ${n}`);
      clock.set(minute(n));
      await eventually(async () => (await scheduledIds(a.engine)).length === n, 5_000, `tick ${n}`);
    }
    for (const id of await scheduledIds(a.engine)) await a.engine.retrieve(report, id).result();
    expect(fired.sort()).toEqual([
      "2026-05-01T00:01:00.000Z",
      "2026-05-01T00:02:00.000Z",
      "2026-05-01T00:03:00.000Z",
    ]);
  });

  it.skipIf(backend.skip)("backfills the ticks missed since the last recorded one", async () => {
    db = backend.database();
    const clock = new ManualClock(minute(5) + 10_000);
    const everyTwo = schedule("catch-up", "*/2 * * * *", report, { missed: "backfill" });
    const first = await launch({ workflows, clock });
    await first.queueStore.recordTick("catch-up", minute(0));
    const { engine } = await launch({ workflows, schedules: [everyTwo], clock });
    await eventually(async () => (await scheduledIds(engine)).length === 2, 5_000, "backfill");
    expect(await scheduledIds(engine)).toEqual([
      "cron:catch-up:2026-05-01T00:02:00.000Z",
      "cron:catch-up:2026-05-01T00:04:00.000Z",
    ]);
    // The tick is recorded after its workflow is created: wait for it, not for the workflow.
    await eventually(
      async () => (await first.queueStore.lastTick("catch-up")) === minute(4),
      5_000,
      "tick 4 recorded",
    );
  });

  it.skipIf(backend.skip)("skips missed ticks unless told to backfill", async () => {
    db = backend.database();
    const clock = new ManualClock(minute(5) + 10_000);
    const first = await launch({ workflows, clock });
    await first.queueStore.recordTick("skipper", minute(0));
    const skipper = schedule("skipper", "* * * * *", report);
    const { engine } = await launch({ workflows, schedules: [skipper], clock });
    await eventually(() => clock.sleeping === 1, 5_000, "the schedule to sleep");
    expect(await scheduledIds(engine)).toEqual([]);
    clock.set(minute(6));
    await eventually(async () => (await scheduledIds(engine)).length === 1, 5_000, "next tick");
    expect(await scheduledIds(engine)).toEqual(["cron:skipper:2026-05-01T00:06:00.000Z"]);
  });

  it.skipIf(backend.skip)("enqueues each tick on the schedule's queue when given one", async () => {
    db = backend.database();
    const clock = new ManualClock(T0);
    const reports = defineQueue("reports", { concurrency: 1 });
    const queued = schedule("queued", "* * * * *", report, { queue: reports });
    const { engine } = await launch({ workflows, schedules: [queued], serve: [reports], clock });
    await eventually(() => clock.sleeping === 1, 5_000, "the schedule to sleep");
    clock.set(minute(1));
    const id = "cron:queued:2026-05-01T00:01:00.000Z";
    await eventually(async () => (await scheduledIds(engine)).includes(id), 5_000, "the tick");
    await engine.retrieve(report, id).result();
    expect((await engine.retrieve(id).status()).queueName).toBe("reports");
  });
});
