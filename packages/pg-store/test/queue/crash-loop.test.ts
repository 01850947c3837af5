/**
 * A queued workflow that crashes its process every time it runs (issue 10 #8), with real
 * processes on Postgres: each worker that claims it is SIGKILLed mid-run, and the next worker's
 * claim puts it back in the queue, counting a recovery each time. Past its
 * `maxRecoveryAttempts` it is dead-lettered instead of being run again, the engine reports the
 * dead letter, and the queue goes on serving other work.
 */
import { serialize } from "@cairn/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createPgStore, type PgStore } from "../../src/index.js";
import { createPgQueueStore } from "../../src/queue/index.js";
import { spawnMarked, type MarkedProcess } from "../crash/marked-process.js";
import { adminSql, databaseUrl, dropSchema, uniqueSchema } from "../support/databases.js";
import type { CrashLoopMarker, CrashLoopWorkerConfig } from "./crash-loop-worker.js";
import { eventually } from "./support.js";

/** `poison` may be put back twice after a crash, not a third time. */
const POISON_MAX_RECOVERY_ATTEMPTS = 2;

describe.skipIf(!databaseUrl)("a queued workflow that crashes its process every time", () => {
  const schema = uniqueSchema();
  let store: PgStore;

  beforeAll(async () => {
    store = createPgStore({ url: databaseUrl, schema, max: 2 });
    await store.migrate();
  });

  afterAll(async () => {
    await store.close();
    const admin = adminSql();
    await dropSchema(admin, schema);
    await admin.end();
  });

  it("is dead-lettered after maxRecoveryAttempts put-backs instead of being re-queued forever", async () => {
    const queues = createPgQueueStore(store);
    const enqueue = (workflowId: string, name: string) =>
      queues.enqueue({
        workflow: {
          workflowId,
          name,
          input: serialize(undefined, "input"),
          executorId: "cairn:queue",
          status: "ENQUEUED",
          queueName: "loop",
        },
        queueName: "loop",
        priority: 0,
        partitionKey: "",
      });
    await enqueue("poison-1", "poison");
    const config: CrashLoopWorkerConfig = {
      url: databaseUrl ?? "",
      schema,
      leaseMs: 1_000,
      maxRecoveryAttempts: POISON_MAX_RECOVERY_ATTEMPTS,
    };
    const script = new URL("./crash-loop-worker.ts", import.meta.url);
    const workers: MarkedProcess<CrashLoopMarker>[] = [];
    const spawn = () => {
      const worker = spawnMarked<CrashLoopMarker>(script, config);
      workers.push(worker);
      return worker;
    };
    try {
      // The first run, then one run per allowed recovery: each one kills its process.
      for (let run = 0; run <= POISON_MAX_RECOVERY_ATTEMPTS; run++) {
        const worker = spawn();
        await worker.waitFor("running", (m) => m.workflowId === "poison-1");
        await worker.kill();
      }
      // The next worker's claim dead-letters it rather than running it a fourth time.
      const last = spawn();
      const outcome = await Promise.race([
        last.waitFor("dead-lettered", (m) => m.workflowId === "poison-1"),
        last.waitFor("running", (m) => m.workflowId === "poison-1"),
      ]);
      expect(outcome).toMatchObject({
        kind: "dead-lettered",
        attempts: POISON_MAX_RECOVERY_ATTEMPTS + 1,
      });
      const row = await store.getWorkflow("poison-1");
      expect(row).toMatchObject({
        status: "DEAD_LETTER",
        recoveryAttempts: POISON_MAX_RECOVERY_ATTEMPTS + 1,
      });
      // The queue goes on: other work runs, and the dead letter never ran again.
      await enqueue("healthy-1", "healthy");
      await eventually(
        async () => (await store.getWorkflow("healthy-1"))?.status === "SUCCESS",
        20_000,
        "the healthy workflow to succeed",
      );
      expect(last.markers.filter((m) => m.kind === "running")).toEqual([]);
      expect((await store.getWorkflow("poison-1"))?.status).toBe("DEAD_LETTER");
    } finally {
      await Promise.all(workers.map((w) => w.kill()));
    }
  }, 120_000);
});
