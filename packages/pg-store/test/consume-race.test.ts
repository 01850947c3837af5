/**
 * consumeMessage across connections on a real server: stores on separate postgres.js clients
 * (as separate processes would be) race for the same messages. PGlite runs one statement at a
 * time, so only Postgres can show that SKIP LOCKED and the checkpoint guard hold under contention.
 */
import type { StepRecord } from "@cairn/core";
import type postgres from "postgres";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createPgStore, type PgStore } from "../src/index.js";
import { adminSql, databaseUrl, freshSchema } from "./support/databases.js";

const recvAt = (workflowId: string, position: number): StepRecord => ({
  workflowId,
  position,
  name: "cairn.recv",
  output: undefined,
  error: undefined,
  childWorkflowId: undefined,
  attempts: 1,
  startedAt: 1_700_000_000_000,
  completedAt: 1_700_000_000_001,
});

const newWorkflow = (workflowId: string) => ({
  workflowId,
  name: "n",
  input: "1",
  executorId: "e",
});

describe.skipIf(!databaseUrl)("consumeMessage on separate connections (Postgres)", () => {
  let admin: postgres.Sql;
  let stores: PgStore[] = [];
  let drop: () => Promise<void>;

  beforeAll(() => {
    admin = adminSql();
  });
  afterAll(() => admin.end());

  beforeEach(async () => {
    const fresh = freshSchema(admin);
    drop = fresh.drop;
    stores = Array.from({ length: 4 }, () =>
      createPgStore({ url: databaseUrl, schema: fresh.schema, max: 2 }),
    );
    await Promise.all(stores.map((s) => s.migrate()));
  });
  afterEach(async () => {
    await Promise.all(stores.map((s) => s.close()));
    await drop();
  });

  const first = (): PgStore => stores[0] as PgStore;

  it("never gives one message to two consumers, over many rounds", async () => {
    for (let round = 0; round < 40; round++) {
      const workflowId = `wf-${round}`;
      await first().createWorkflow(newWorkflow(workflowId));
      await first().sendMessage({
        destinationId: workflowId,
        topic: "t",
        message: `${round}`,
        messageId: `m-${round}`,
      });
      const results = await Promise.all(
        stores.map((store, i) => store.consumeMessage("t", recvAt(workflowId, i))),
      );
      expect(results.filter((r) => r !== undefined)).toHaveLength(1);
      expect(await first().listSteps(workflowId)).toEqual(results.filter(Boolean));
    }
  });

  it("hands each of 200 messages to exactly one of four consumers draining concurrently", async () => {
    await first().createWorkflow(newWorkflow("wf"));
    for (let i = 0; i < 200; i++) {
      await first().sendMessage({
        destinationId: "wf",
        topic: "t",
        message: `${i}`,
        messageId: `m-${i}`,
      });
    }
    const drain = async (store: PgStore, consumer: number): Promise<string[]> => {
      const got: string[] = [];
      // Each consumer owns a range of positions; a skipped (locked) message is retried later.
      for (let position = consumer * 1000, misses = 0; misses < 3; position++) {
        const step = await store.consumeMessage("t", recvAt("wf", position));
        if (step?.output === undefined) misses++;
        else got.push(step.output);
      }
      return got;
    };
    const got = (await Promise.all(stores.map((s, i) => drain(s, i)))).flat();
    const leftovers: string[] = [];
    for (let p = 10_000; ; p++) {
      const step = await first().consumeMessage("t", recvAt("wf", p));
      if (!step?.output) break;
      leftovers.push(step.output);
    }
    const all = [...got, ...leftovers].map(Number).sort((a, b) => a - b);
    expect(all).toEqual(Array.from({ length: 200 }, (_, i) => i));
    const checkpoints = await first().listSteps("wf");
    expect(checkpoints.map((s) => Number(s.output)).sort((a, b) => a - b)).toEqual(all);
  });

  it("consumes one message when consumers on different connections race for one position", async () => {
    for (let round = 0; round < 20; round++) {
      const workflowId = `wf-${round}`;
      await first().createWorkflow(newWorkflow(workflowId));
      for (const m of ["a", "b", "c", "d"]) {
        await first().sendMessage({
          destinationId: workflowId,
          topic: "t",
          message: `"${m}"`,
          messageId: `${workflowId}-${m}`,
        });
      }
      const results = await Promise.all(
        stores.map((s) => s.consumeMessage("t", recvAt(workflowId, 0))),
      );
      const [checkpoint, ...more] = await first().listSteps(workflowId);
      expect(more).toEqual([]);
      for (const r of results) if (r) expect(r).toEqual(checkpoint);
      const [{ consumed } = { consumed: -1 }] = await admin.unsafe<{ consumed: number }[]>(
        `select count(*)::int as consumed from "${first().schema}".messages
         where destination_id = $1 and consumed_at is not null`,
        [workflowId],
      );
      expect(consumed).toBe(1);
      // The winner may hold any message (a loser skipped the locked head); the rest still wait.
      const rest: (string | undefined)[] = [];
      for (let p = 1; p <= 3; p++)
        rest.push((await first().consumeMessage("t", recvAt(workflowId, p)))?.output);
      expect([checkpoint?.output, ...rest].sort()).toEqual(['"a"', '"b"', '"c"', '"d"']);
    }
  });
});
