/**
 * A queue claim answered once its engine began to shut down: the engine does not run what it
 * handed out, so the dispatcher puts it back in the queue, unstarted. Left PENDING under the
 * stopped executor, the next claim anywhere put it back counting a recovery attempt, and a
 * process shut down during its claims again and again dead-lettered a workflow that never ran.
 */
import { createClient, createEngine, QUEUED_EXECUTOR, workflow } from "@cairn/core";
import { createQueues, defineQueue, withQueues, type QueueStore } from "@cairn/queue";
import { afterEach, describe, expect, it } from "vitest";
import { createPgQueueStore } from "../../src/queue/index.js";
import type { PgStore } from "../../src/index.js";
import {
  Closers,
  engineBackends,
  quietLogger,
  type TestDatabase,
} from "../support/engine-databases.js";
import { Gate } from "./support.js";

let runs = 0;
const job = workflow({ name: "job", maxRecoveryAttempts: 1 }, async () => {
  runs++;
  return "ran";
});

// Postgres only: the put-back of a stopped executor's items is the claim statement's sweep.
const backend = engineBackends.find((b) => b.name === "Postgres");
if (!backend) throw new Error("no Postgres backend among engineBackends");

describe("Postgres: a queue claim answered during its engine's shutdown", () => {
  const closers = new Closers();
  let db: TestDatabase | undefined;
  afterEach(async () => {
    await closers.closeAll();
    await db?.drop();
    await backend.close();
    runs = 0;
  });

  it.skipIf(backend.skip)(
    "goes back to the queue unstarted, so shutdowns never dead-letter a workflow that did not run",
    async () => {
      await backend.open();
      db = backend.database();
      const queue = defineQueue("at-shutdown");
      const admin = db.store() as PgStore;
      await admin.migrate();
      const client = closers.add(
        withQueues(createClient({ store: admin }), createPgQueueStore(admin)),
        (c) => c.close(),
      );
      const { workflowId } = await client.enqueue("at-shutdown", "job", "x", { id: "x" });

      const launchOn = (executorId: string, hold?: Gate) => {
        const store = db!.store() as PgStore;
        const real = createPgQueueStore(store);
        const queueStore = new Proxy(real, {
          get(target, key) {
            if (key !== "claim") return Reflect.get(target, key) as unknown;
            return async (request: Parameters<QueueStore["claim"]>[0]) => {
              if (hold && request.max > 0) await hold.pass(); // sent once the shutdown began
              return target.claim(request);
            };
          },
        });
        return createEngine({
          store,
          workflows: [job],
          plugins: [
            createQueues({
              store: queueStore,
              serve: [queue],
              pollIntervalMs: 3_600_000,
              shutdownGraceMs: 0,
            }),
          ],
          logger: quietLogger,
          executorId,
          pollIntervalMs: 3_600_000,
          // The put-back happens within the shutdown's grace; nothing runs, so a long one costs
          // nothing and a slow machine cannot outlast it.
          shutdownGraceMs: 30_000,
        });
      };

      // Three processes in turn, each shut down while its claim is on its way. The workflow
      // allows one recovery attempt: without the put-back the second claim counted one and the
      // third dead-lettered it.
      for (const executorId of ["e1", "e2", "e3"]) {
        const hold = new Gate();
        const engine = launchOn(executorId, hold);
        await engine.launch();
        await hold.waiting;
        const shutting = engine.shutdown();
        hold.release();
        await shutting;
        const record = await admin.getWorkflow(workflowId);
        expect(record).toMatchObject({ status: "ENQUEUED", executorId: QUEUED_EXECUTOR });
      }
      expect(runs).toBe(0);

      const engine = closers.add(launchOn("e4"), (e) => e.shutdown());
      await engine.launch();
      expect(await engine.retrieve(job, workflowId).result()).toBe("ran");
      expect(runs).toBe(1);
    },
    60_000,
  );
});
