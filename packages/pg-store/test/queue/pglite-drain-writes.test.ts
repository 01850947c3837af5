/**
 * On PGlite a queue draining its backlog writes its runs' checkpoints as it goes, not after it
 * claimed the whole backlog. PGlite answers in process, as promise continuations only, so a
 * group commit must not wait a `process.nextTick` for a burst there (it does on Postgres,
 * b242086): a tick would come only once the claim loop had nothing left to claim, with every
 * claimed workflow held in memory until then.
 */
import { createEngine, step, workflow, type WorkflowStore } from "@cairn/core";
import { createQueues, defineQueue } from "@cairn/queue";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createPgQueueStore } from "../../src/queue/index.js";
import type { PgStore } from "../../src/index.js";
import { engineBackends, quietLogger } from "../support/engine-databases.js";

const work = step("work", async (label: string) => label.toUpperCase());
const job = workflow({ name: "job" }, async (ctx, label: string) => work(ctx, label));

const backend = engineBackends.find((b) => b.name === "PGlite");
if (!backend) throw new Error("no PGlite backend among engineBackends");

describe("PGlite: a queue draining a backlog", () => {
  beforeAll(() => backend.open());
  afterAll(() => backend.close());

  it("commits its runs' first checkpoint before it has claimed the whole backlog", async () => {
    const db = backend.database();
    const queue = defineQueue("backlog");
    const items = 1_000;
    {
      const store = db.store() as PgStore;
      const runtime = createQueues({ store: createPgQueueStore(store), serve: [] });
      const enqueuer = createEngine({
        store,
        workflows: [job],
        plugins: [runtime],
        logger: quietLogger,
      });
      await enqueuer.launch();
      await queue.enqueueMany(
        enqueuer,
        job,
        Array.from({ length: items }, (_, i) => ({ input: `x${i}` })),
      );
      await enqueuer.shutdown();
      await store.close();
    }

    const store = db.store() as PgStore;
    let claimed = 0;
    let claimedAtFirstCheckpoint: number | undefined;
    let checkpoints = 0;
    let done: () => void = () => undefined;
    const allDone = new Promise<void>((resolve) => (done = resolve));
    const queueStore = createPgQueueStore(store);
    const counting = new Proxy(queueStore, {
      get(target, key) {
        if (key !== "claim") return Reflect.get(target, key) as unknown;
        return async (request: Parameters<typeof queueStore.claim>[0]) => {
          const result = await target.claim(request);
          claimed += result.claimed.length;
          return result;
        };
      },
    });
    const engineStore = new Proxy(store, {
      get(target, key) {
        if (key !== "recordStep") return Reflect.get(target, key) as unknown;
        return async (...args: Parameters<WorkflowStore["recordStep"]>) => {
          const recorded = await target.recordStep(...args);
          claimedAtFirstCheckpoint ??= claimed;
          if (++checkpoints === items) done();
          return recorded;
        };
      },
    });
    const runtime = createQueues({
      store: counting,
      serve: [queue],
      pollIntervalMs: 3_600_000,
      claimBatch: 100,
    });
    const server = createEngine({
      store: engineStore,
      workflows: [job],
      plugins: [runtime],
      logger: quietLogger,
      pollIntervalMs: 3_600_000,
    });
    await server.launch();
    await allDone;
    await server.shutdown();
    await store.close();
    await db.drop();
    // Gathering a burst there, the first checkpoint committed once all 1,000 were claimed.
    expect(claimedAtFirstCheckpoint).toBeLessThan(items / 2);
  }, 60_000);
});
