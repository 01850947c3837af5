/**
 * Forks that keep what they should, on Postgres and PGlite: a fork put on a queue waits there
 * with the events and stream entries its source recorded before the fork point, then an engine
 * serving the queue runs it with the deadline its timeout gives at the claim; a fork run at once
 * gets the version and deadline asked for.
 */
import { createClient, step, workflow } from "@cairn/core";
import { defineQueue } from "@cairn/queue";
import { describe, expect, it } from "vitest";
import {
  Closers,
  databasePerTest,
  engineBackends,
  quietLogger,
  type TestDatabase,
} from "./support/engine-databases.js";
import { launchQueueEngine } from "./queue/support.js";

const mark = step("mark", async (label: string) => label);
const stages = workflow("stages", async (ctx) => {
  await ctx.setEvent("stage", "a");
  await ctx.writeStream("log", "one");
  await mark(ctx, "middle");
  await ctx.setEvent("stage", "b");
  await ctx.writeStream("log", "two");
  return "done";
});
const reruns = defineQueue("reruns", { concurrency: 1 });

describe.each(engineBackends)("fork options on $name", (backend) => {
  const closers = new Closers();
  let db: TestDatabase;

  databasePerTest(backend, closers, () => db);

  it.skipIf(backend.skip)(
    "puts a fork on a queue with what came before the fork point, and runs it from there",
    async () => {
      db = backend.database();
      const source = await launchQueueEngine(db, { workflows: [stages], executorId: "source" });
      closers.add(source.engine, (e) => e.shutdown());
      await source.engine.run(stages, undefined, { id: "s" });
      const steps = await source.engine.listSteps("s");
      const middle = steps.find((s) => s.name === "mark")?.position ?? -1;

      const store = db.store();
      const client = closers.add(createClient({ store, logger: quietLogger }), (c) => c.close());
      const fork = await client.fork("s", {
        fromStep: middle,
        id: "f",
        queue: "reruns",
        priority: 2,
        timeoutMs: 3_600_000,
      });
      expect(await fork.status()).toMatchObject({
        status: "ENQUEUED",
        queueName: "reruns",
        priority: 2,
        forkedFrom: "s",
        startedAt: undefined,
      });
      expect(await client.getEvent("f", "stage")).toBe("a");
      expect(await store.readStream("f", "log", 0, 10)).toHaveLength(1);

      const worker = await launchQueueEngine(db, {
        workflows: [stages],
        serve: [reruns],
        executorId: "worker",
      });
      closers.add(worker.engine, (e) => e.shutdown());
      await expect(fork.result()).resolves.toBe("done");
      const ran = await fork.status();
      expect(ran.deadlineAt?.getTime()).toBe((ran.startedAt?.getTime() ?? Number.NaN) + 3_600_000);
      expect(await client.getEvent("f", "stage")).toBe("b");
      const log = [];
      for await (const entry of client.readStream("f", "log")) log.push(entry);
      expect(log).toEqual(["one", "two"]);
      expect((await client.listSteps("f")).length).toBe(steps.length);
    },
  );

  it.skipIf(backend.skip)(
    "runs a fork at once with the version and timeout asked for",
    async () => {
      db = backend.database();
      const { engine } = await launchQueueEngine(db, { workflows: [stages] });
      closers.add(engine, (e) => e.shutdown());
      await engine.run(stages, undefined, { id: "s" });
      const before = Date.now(); // the engine's clock, which sets the deadline
      const fork = await engine.fork("s", {
        fromStep: 0,
        id: "f",
        appVersion: "v2",
        timeoutMs: "2h",
      });
      await expect(fork.result()).resolves.toBe("done");
      const status = await fork.status();
      expect(status.appVersion).toBe("v2");
      expect(status.deadlineAt?.getTime()).toBeGreaterThanOrEqual(before + 7_200_000);
      expect(status.deadlineAt?.getTime()).toBeLessThanOrEqual(Date.now() + 7_200_000);
    },
  );
});
