/**
 * A run of a queue that ends while a claim of that queue is in flight: the claim's snapshot may
 * still count the run as running, find the queue full and leave the next item waiting. The
 * dispatcher must then claim again when the answer comes, not wait for the poll (set to an hour
 * here): the run's ending, the only thing that would have woken the queue, already happened.
 *
 * The case arises when an outcome is written through the workflow store rather than with a claim
 * (an idle queue, 3d371c7, or a queue other processes serve too) and a concurrency limit applies
 * that this process's latest claim did not know of (set at runtime by another process).
 */
import { createClient, createEngine, step, workflow, type WorkflowStore } from "@cairn/core";
import {
  createQueues,
  defineQueue,
  withQueues,
  type ClaimResult,
  type QueueStore,
} from "@cairn/queue";
import { afterEach, describe, expect, it } from "vitest";
import { createPgQueueStore } from "../../src/queue/index.js";
import type { PgStore } from "../../src/index.js";
import {
  Closers,
  engineBackends,
  quietLogger,
  type TestDatabase,
} from "../support/engine-databases.js";
import { Gate, eventually } from "./support.js";

const gates = new Map<string, Gate>();
const work = step("work", async (label: string) => {
  await gates.get(label)?.pass();
  return label.toUpperCase();
});
const job = workflow({ name: "job" }, async (ctx, label: string) => work(ctx, label));

// Postgres only: the limit comes from another process, which PGlite (one process) cannot have.
const backend = engineBackends.find((b) => b.name === "Postgres");
if (!backend) throw new Error("no Postgres backend among engineBackends");

describe("Postgres: a run ending while its queue's claim is in flight", () => {
  const closers = new Closers();
  let db: TestDatabase | undefined;
  afterEach(async () => {
    for (const gate of gates.values()) gate.release();
    gates.clear();
    await closers.closeAll();
    await db?.drop();
    await backend.close();
  });

  it.skipIf(backend.skip)(
    "claims again when the answer says work is left, without waiting for the poll",
    async () => {
      await backend.open();
      db = backend.database();
      const queue = defineQueue("limited-later"); // no concurrency in the definition
      const store = db.store() as PgStore;
      const claims: ClaimResult[] = [];
      const hooks: {
        beforeFinish?: (() => Promise<void>) | undefined;
        afterClaim?: ((result: ClaimResult) => Promise<void>) | undefined;
      } = {};
      const realQueueStore = createPgQueueStore(store);
      const queueStore = new Proxy(realQueueStore, {
        get(target, key) {
          if (key !== "claim") return Reflect.get(target, key) as unknown;
          return async (request: Parameters<QueueStore["claim"]>[0]) => {
            const result = await target.claim(request);
            claims.push(result);
            await hooks.afterClaim?.(result);
            return result;
          };
        },
      });
      const engineStore = new Proxy(store, {
        get(target, key) {
          if (key !== "finishWorkflow") return Reflect.get(target, key) as unknown;
          return async (...args: Parameters<WorkflowStore["finishWorkflow"]>) => {
            await hooks.beforeFinish?.();
            return target.finishWorkflow(...args);
          };
        },
      });
      const runtime = createQueues({
        store: queueStore,
        serve: [queue],
        pollIntervalMs: 3_600_000,
        shutdownGraceMs: 0,
      });
      const engine = closers.add(
        createEngine({
          store: engineStore,
          workflows: [job],
          plugins: [runtime],
          logger: quietLogger,
          pollIntervalMs: 3_600_000,
          shutdownGraceMs: 200,
        }),
        (e) => e.shutdown(),
      );
      await engine.launch();
      const otherStore = db.store();
      await otherStore.migrate();
      const otherQueues = createPgQueueStore(otherStore as PgStore);
      const client = closers.add(
        withQueues(createClient({ store: otherStore }), otherQueues),
        (c) => c.close(),
      );

      // X runs; its claim took everything, so its outcome will be written alone.
      const xGate = new Gate();
      gates.set("x", xGate);
      const x = await queue.enqueue(engine, job, "x");
      await xGate.waiting;
      expect(claims.at(-1)?.more).toBe(false);
      // Another process limits the queue to one at a time.
      await otherQueues.setQueueLimits("limited-later", { concurrency: 1 });
      const finishHeld = new Gate();
      hooks.beforeFinish = () => finishHeld.pass();
      xGate.release();
      await finishHeld.waiting; // X's outcome is on its way, held before its statement

      // Y's claim sees X still running, takes nothing and says work is left; its answer is held
      // here until X's outcome has committed and its run has ended in this process.
      const claimAnswered = new Gate();
      // (X's enqueue also notified this engine, whose claim of nothing may answer late: only
      // a claim that leaves work waiting, Y's, is held.)
      hooks.afterClaim = async (result) => {
        if (result.more !== true) return;
        hooks.afterClaim = undefined;
        await claimAnswered.pass();
      };
      const y = await client.enqueue("limited-later", "job", "y", { id: "y" });
      await claimAnswered.waiting;
      expect(claims.at(-1)).toMatchObject({ claimed: [], more: true });
      hooks.beforeFinish = undefined;
      finishHeld.release();
      expect(await x.result()).toBe("X");
      await eventually(() => runtime.running === 0);
      claimAnswered.release();

      // Nothing but the claim's own answer can wake the queue now (the poll is an hour away).
      expect(await engine.retrieve(job, y.workflowId).result()).toBe("Y");
    },
    30_000,
  );
});
