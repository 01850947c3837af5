/**
 * Concurrent claims on a real Postgres server, each claimer on its own connections (as separate
 * processes would be): however they interleave, global concurrency, worker concurrency, the rate
 * limit and per-partition limits hold exactly, no workflow is claimed twice, and the items of an
 * executor whose lease expired go back to the queue once. PGlite runs one statement at a time,
 * so these races only mean something here.
 */
import type { NewWorkflow } from "@cairn/core";
import type { ClaimRequest, QueueLimits, QueueStore } from "@cairn/queue";
import { afterEach, describe, expect, it } from "vitest";
import { createPgStore, type PgStore } from "../../src/index.js";
import { createPgQueueStore } from "../../src/queue/index.js";
import { adminSql, databaseUrl, dropSchema, uniqueSchema } from "../support/databases.js";

const CLAIMERS = 8;

describe.skipIf(!databaseUrl)("queue claims racing on Postgres", () => {
  const opened: PgStore[] = [];
  let schema = "";

  afterEach(async () => {
    await Promise.all(opened.splice(0).map((s) => s.close()));
    const admin = adminSql();
    await dropSchema(admin, schema);
    await admin.end();
  });

  /** `n` claimers, each with its own store (connections) and a live executor. */
  const claimers = async (n: number, leaseMs = 60_000): Promise<QueueStore[]> => {
    schema = uniqueSchema();
    const stores = Array.from({ length: n }, () => {
      const store = createPgStore({ url: databaseUrl, schema, max: 2 });
      opened.push(store);
      return store;
    });
    await Promise.all(stores.map((s) => s.migrate()));
    await Promise.all(
      stores.map((s, i) => s.heartbeat({ executorId: `e${i}`, appVersion: undefined, leaseMs })),
    );
    return stores.map((s) => createPgQueueStore(s));
  };

  const enqueue = async (store: QueueStore, count: number, partitions = [""]) => {
    for (let i = 0; i < count; i++) {
      const workflow: NewWorkflow = {
        workflowId: `w${i}`,
        name: "job",
        input: "[]",
        executorId: "cairn:queue",
        status: "ENQUEUED",
        queueName: "q",
      };
      const partitionKey = partitions[i % partitions.length] ?? "";
      await store.enqueue({ workflow, queueName: "q", priority: 0, partitionKey });
    }
  };

  const request = (
    i: number,
    limits: QueueLimits,
    max: number,
    partitioned = false,
  ): ClaimRequest => ({
    queueName: "q",
    executorId: `e${i}`,
    excludeNames: [],
    appVersion: undefined,
    limits,
    partitioned,
    max,
  });

  /** Every claimer claims `rounds` times at once; returns who got what. */
  const race = async (
    stores: QueueStore[],
    limits: QueueLimits,
    max: number,
    partitioned = false,
  ) => {
    const got = stores.map(() => [] as string[]);
    await Promise.all(
      stores.map(async (store, i) => {
        for (let round = 0; round < 5; round++) {
          const { claimed } = await store.claim(request(i, limits, max, partitioned));
          for (const w of claimed) got[i]?.push(w.workflowId);
        }
      }),
    );
    const all = got.flat();
    expect(new Set(all).size).toBe(all.length); // nobody claimed a workflow twice
    return got;
  };

  it("never exceeds global concurrency, however the claims interleave", async () => {
    const stores = await claimers(CLAIMERS);
    await enqueue(stores[0] as QueueStore, 40);
    const got = await race(stores, { concurrency: 5 }, 3);
    expect(got.flat()).toHaveLength(5);
  });

  it("never exceeds worker concurrency per executor", async () => {
    const stores = await claimers(CLAIMERS);
    await enqueue(stores[0] as QueueStore, 40);
    const got = await race(stores, { concurrency: 100, workerConcurrency: 2 }, 10);
    for (const mine of got) expect(mine).toHaveLength(2);
  });

  it("starts at most the rate limit within its window", async () => {
    const stores = await claimers(CLAIMERS);
    await enqueue(stores[0] as QueueStore, 40);
    const got = await race(stores, { rateLimit: { limit: 7, periodMs: 60_000 } }, 3);
    expect(got.flat()).toHaveLength(7);
  });

  it("applies the limits per partition on a partitioned queue", async () => {
    const stores = await claimers(CLAIMERS);
    await enqueue(stores[0] as QueueStore, 30, ["a", "b", "c"]);
    const admin = adminSql();
    try {
      await race(stores, { concurrency: 2 }, 4, true);
      const rows = await admin.unsafe<{ partition_key: string; n: number }[]>(
        `select partition_key, count(*)::int as n from "${schema}".queue_items
         where started_at is not null group by partition_key order by partition_key`,
      );
      expect(rows.map((r) => [r.partition_key, r.n])).toEqual([
        ["a", 2],
        ["b", 2],
        ["c", 2],
      ]);
    } finally {
      await admin.end();
    }
  });

  it("puts back the items of an executor whose lease expired, once, and they restart", async () => {
    const stores = await claimers(CLAIMERS);
    const [first, ...others] = stores as [QueueStore, ...QueueStore[]];
    await enqueue(first, 10);
    const held = await first.claim(request(0, { concurrency: 4 }, 4));
    expect(held.claimed).toHaveLength(4);
    // e0 dies: its lease is over at once.
    const admin = adminSql();
    await admin.unsafe(
      `update "${schema}".executors set lease_ms = 0, heartbeat_at = 0 where executor_id = 'e0'`,
    );
    await admin.end();
    const results = await Promise.all(
      others.map((store, i) => store.claim(request(i + 1, { concurrency: 4 }, 4))),
    );
    expect(results.reduce((sum, r) => sum + r.requeued, 0)).toBe(4);
    // Still never more than 4 running: what was put back is claimed by the next claims.
    const again = await race(others, { concurrency: 4 }, 4);
    const claimed = [...results.flatMap((r) => r.claimed), ...again.flat()];
    expect(claimed).toHaveLength(4);
  });
});
