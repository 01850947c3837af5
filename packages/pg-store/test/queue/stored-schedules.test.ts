/**
 * Schedules stored at runtime, on Postgres and PGlite, on a manual clock: created by a client
 * (which runs no engine) and fired by the engines that register the workflow, once per tick
 * across engines, with the schedule's context; paused, resumed, updated and deleted without a
 * restart; triggered now and backfilled over a range from a client; ticks enqueued on a queue;
 * and the typed errors of bad or unknown schedules.
 */
import { createClient, workflow } from "@cairn/core";
import {
  CronExpressionInvalidError,
  defineQueue,
  schedule,
  ScheduleExistsError,
  ScheduleNotFoundError,
  withQueues,
  type QueueClient,
  type ScheduledRun,
} from "@cairn/queue";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { createPgQueueStore } from "../../src/queue/index.js";
import type { PgStore } from "../../src/index.js";
import { Closers, engineBackends, type TestDatabase } from "../support/engine-databases.js";
import { ManualClock, eventually, launchQueueEngine } from "./support.js";

const report = workflow({ name: "report" }, async (_ctx, run: ScheduledRun) => ({
  at: run.scheduledAt.toISOString(),
  context: run.context,
}));
const workflows = [report];

const T0 = Date.parse("2026-05-01T00:00:30Z");
const minute = (n: number) => Date.parse("2026-05-01T00:00:00Z") + n * 60_000;
const tickId = (name: string, n: number) => `cron:${name}:${new Date(minute(n)).toISOString()}`;

describe.each(engineBackends)("stored schedules on $name", (backend) => {
  const closers = new Closers();
  let db: TestDatabase;

  beforeAll(() => backend.open());
  afterAll(() => backend.close());
  afterEach(async () => {
    await closers.closeAll();
    await db.drop();
  });

  const launch = async (options: Parameters<typeof launchQueueEngine>[1]) => {
    const launched = await launchQueueEngine(db, options);
    closers.add(launched.engine, (e) => e.shutdown());
    return launched;
  };

  const openClient = async (): Promise<QueueClient> => {
    const store = db.store();
    await store.migrate();
    return closers.add(
      withQueues(createClient({ store }), createPgQueueStore(store as PgStore)),
      (c) => c.close(),
    );
  };

  const reportIds = async (client: QueueClient) =>
    (await client.listWorkflows({ name: "report" })).map((w) => w.workflowId).sort();

  it.skipIf(backend.skip)(
    "fires a schedule a client created, once per tick across two engines, with its context",
    async () => {
      db = backend.database();
      const clock = new ManualClock(T0);
      await launch({ workflows, clock });
      await launch({ workflows, clock });
      const client = await openClient();
      const created = await client.createSchedule({
        name: "acme-report",
        cron: "* * * * *",
        workflow: "report",
        context: { tenant: "acme", since: new Date(0) },
      });
      expect(created).toMatchObject({ name: "acme-report", workflowName: "report", paused: false });
      await eventually(() => clock.sleeping === 2, 10_000, "both engines to pick it up");
      clock.set(minute(1));
      const id = tickId("acme-report", 1);
      await eventually(async () => (await reportIds(client)).includes(id), 10_000, "tick 1");
      await expect(client.retrieve<typeof report>(id).result()).resolves.toEqual({
        at: new Date(minute(1)).toISOString(),
        context: { tenant: "acme", since: new Date(0) },
      });
      await eventually(() => clock.sleeping === 2, 10_000, "both asleep again");
      expect(await reportIds(client)).toEqual([id]);
      expect((await client.getSchedule("acme-report"))?.lastTickAt).toEqual(new Date(minute(1)));
    },
  );

  it.skipIf(backend.skip)(
    "pauses, resumes, updates and deletes a schedule without a restart",
    async () => {
      db = backend.database();
      const clock = new ManualClock(T0);
      const { runtime } = await launch({ workflows, clock });
      const client = await openClient();
      await runtime.createSchedule({ name: "s", cron: "* * * * *", workflow: report });
      expect(clock.sleeping).toBe(1); // the engine that made the change runs it at once
      await runtime.pauseSchedule("s");
      expect(clock.sleeping).toBe(0);
      clock.set(minute(1));
      await runtime.resumeSchedule("s");
      await eventually(() => clock.sleeping === 1, 10_000, "the resumed loop");
      clock.set(minute(2));
      await eventually(async () => (await reportIds(client)).length === 1, 10_000, "tick 2");
      expect(await reportIds(client)).toEqual([tickId("s", 2)]); // minute 1 passed while paused

      await eventually(() => clock.sleeping === 1, 10_000, "asleep after tick 2");
      const updated = await runtime.updateSchedule("s", { cron: "*/5 * * * *" });
      expect(updated.cron).toBe("*/5 * * * *");
      await eventually(() => clock.sleeping === 1, 10_000, "the updated loop");
      clock.set(minute(3)); // a tick of the old expression only
      expect(clock.sleeping).toBe(1);
      clock.set(minute(5));
      await eventually(async () => (await reportIds(client)).length === 2, 10_000, "tick 5");
      expect(await reportIds(client)).toEqual([tickId("s", 2), tickId("s", 5)]);

      await runtime.deleteSchedule("s");
      expect(clock.sleeping).toBe(0);
      expect(await client.listSchedules()).toEqual([]);
    },
  );

  it.skipIf(backend.skip)(
    "triggers a run now and backfills a range from a client; a backfilled tick runs once",
    async () => {
      db = backend.database();
      await launch({ workflows }); // real clock: the schedule is paused, nothing ticks
      const client = await openClient();
      await client.createSchedule({
        name: "b",
        cron: "* * * * *",
        workflow: "report",
        paused: true,
        context: "ctx",
      });
      const now = await client.triggerSchedule("b");
      expect(now.workflowId).toMatch(/^cron:b:now:/);
      await expect(now.result()).resolves.toMatchObject({ context: "ctx" });

      const range = { from: new Date(minute(0)), to: new Date(minute(3)) };
      const ids = await client.backfillSchedule("b", range);
      expect(ids).toEqual([0, 1, 2, 3].map((n) => tickId("b", n)));
      const results = await Promise.all(ids.map((id) => client.retrieve(id).result()));
      expect(results.map((r) => (r as { at: string }).at)).toEqual(
        [0, 1, 2, 3].map((n) => new Date(minute(n)).toISOString()),
      );
      expect(await client.backfillSchedule("b", range)).toEqual(ids);
      expect(await reportIds(client)).toHaveLength(5);
    },
  );

  it.skipIf(backend.skip)("enqueues the ticks of a schedule that names a queue", async () => {
    db = backend.database();
    const clock = new ManualClock(T0);
    const reports = defineQueue("reports", { concurrency: 1 });
    await launch({ workflows, clock, serve: [reports] });
    const client = await openClient();
    await client.createSchedule({
      name: "q",
      cron: "* * * * *",
      workflow: "report",
      queue: "reports",
    });
    await eventually(() => clock.sleeping === 1, 10_000, "the loop");
    clock.set(minute(1));
    const id = tickId("q", 1);
    await eventually(async () => (await reportIds(client)).includes(id), 10_000, "tick 1");
    await client.retrieve(id).result();
    expect((await client.retrieve(id).status()).queueName).toBe("reports");
  });

  it.skipIf(backend.skip)("refuses bad and unknown schedules with typed errors", async () => {
    db = backend.database();
    const clock = new ManualClock(T0);
    const { queueStore } = await launch({
      workflows,
      clock,
      schedules: [schedule("in-code", "* * * * *", report)],
    });
    await eventually(() => clock.sleeping === 1, 10_000, "the code schedule");
    clock.set(minute(1));
    const client = await openClient();
    // The tick is recorded (making the name taken) after its workflow is created: wait for that.
    await eventually(
      async () => (await queueStore.lastTick("in-code")) === minute(1),
      10_000,
      "the code schedule's tick recorded",
    );
    const base = { cron: "0 * * * *", workflow: "report" } as const;
    await client.createSchedule({ ...base, name: "x" });
    await expect(client.createSchedule({ ...base, name: "x" })).rejects.toThrow(
      ScheduleExistsError,
    );
    await expect(client.createSchedule({ ...base, name: "in-code" })).rejects.toThrow(
      ScheduleExistsError,
    );
    await expect(client.createSchedule({ ...base, name: "y", cron: "61 * * * *" })).rejects.toThrow(
      CronExpressionInvalidError,
    );
    await expect(
      client.createSchedule({ ...base, name: "y", timezone: "Mars/Base" }),
    ).rejects.toThrow(CronExpressionInvalidError);
    await expect(
      client.createSchedule({ ...base, name: "y", partitionKey: "p" }),
    ).rejects.toMatchObject({ code: "INVALID_OPTION", option: "partitionKey" });
    for (const call of [
      () => client.updateSchedule("nope", { cron: "* * * * *" }),
      () => client.deleteSchedule("nope"),
      () => client.triggerSchedule("nope"),
      () => client.pauseSchedule("in-code"), // code schedules are not changed at runtime
    ]) {
      await expect(call()).rejects.toThrow(ScheduleNotFoundError);
    }
    await expect(client.updateSchedule("x", { cron: "bad" })).rejects.toThrow(
      CronExpressionInvalidError,
    );
    expect((await client.listSchedules()).map((s) => [s.name, s.cron])).toEqual([
      ["x", "0 * * * *"],
    ]);
  });
});
