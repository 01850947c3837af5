/**
 * Takeover between processes sharing one Postgres: concurrent takeovers claim disjoint sets, and
 * the old owner's late writes are fenced off. Each store here has its own connection pool, as
 * separate processes would (PGlite runs one statement at a time, so only Postgres can race).
 */
import type { Fence, StepRecord } from "@cairn/core";
import type postgres from "postgres";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createPgStore, type PgStore } from "../src/index.js";
import { adminSql, databaseUrl, freshSchema } from "./support/databases.js";

const LONG_LEASE_MS = 600_000;

const stepAt = (workflowId: string, position: number, output: string): StepRecord => ({
  workflowId,
  position,
  name: `step-${position}`,
  output,
  error: undefined,
  childWorkflowId: undefined,
  attempts: 1,
  startedAt: 1_700_000_000_000,
  completedAt: 1_700_000_000_001,
});

const newWorkflow = (workflowId: string, executorId: string) => ({
  workflowId,
  name: "checkout",
  input: "1",
  executorId,
});

const takeoverBy = (executorId: string, limit: number) => ({
  executorId,
  names: ["checkout"],
  maxRecoveryAttempts: {},
  limit,
});

describe.skipIf(!databaseUrl)("takeover on Postgres", () => {
  let admin: postgres.Sql;
  let schema: string;
  let drop: () => Promise<void>;
  const stores: PgStore[] = [];

  /** A store with its own pool, like another process. */
  const open = async (): Promise<PgStore> => {
    const store = createPgStore({ url: databaseUrl, schema, max: 2 });
    stores.push(store);
    await store.migrate();
    return store;
  };
  const count = async (sql: string): Promise<number> => {
    const [row] = await admin.unsafe(sql.replaceAll("$schema", `"${schema}"`));
    return Number(row?.["n"]);
  };

  beforeAll(() => {
    admin = adminSql();
  });
  afterAll(() => admin.end());
  beforeEach(() => {
    ({ schema, drop } = freshSchema(admin));
  });
  afterEach(async () => {
    await Promise.all(stores.splice(0).map((s) => s.close()));
    await drop();
  });

  it("claims each of 500 workflows of a dead executor exactly once across 5 concurrent takers", async () => {
    const seed = await open();
    const ids = Array.from({ length: 500 }, (_, i) => `wf-${String(i).padStart(3, "0")}`);
    await Promise.all(ids.map((id) => seed.createWorkflow(newWorkflow(id, "dead"))));
    await seed.heartbeat({ executorId: "dead", appVersion: undefined, leaseMs: LONG_LEASE_MS });
    await seed.stopExecutor("dead");
    const takers = await Promise.all(Array.from({ length: 5 }, () => open()));
    await Promise.all(
      takers.map((s, i) =>
        s.heartbeat({ executorId: `taker-${i}`, appVersion: undefined, leaseMs: LONG_LEASE_MS }),
      ),
    );

    const claimedBy = await Promise.all(
      takers.map(async (store, i) => {
        const mine: string[] = [];
        for (;;) {
          const { recovered, deadLettered } = await store.takeOver(takeoverBy(`taker-${i}`, 25));
          if (recovered.length + deadLettered.length === 0) return mine;
          mine.push(...recovered.map((w) => w.workflowId));
        }
      }),
    );

    expect(claimedBy.flat().sort()).toEqual(ids);
    expect(claimedBy.filter((mine) => mine.length > 0).length).toBeGreaterThan(1);
    const rows = await admin.unsafe<{ workflow_id: string; executor_id: string; e: number }[]>(
      `select workflow_id, executor_id, owner_epoch as e from "${schema}".workflows`,
    );
    expect(rows.every((r) => r.e === 1)).toBe(true); // one claim each, never two
    const owner = new Map(rows.map((r) => [r.workflow_id, r.executor_id]));
    claimedBy.forEach((mine, i) => {
      for (const id of mine) expect(owner.get(id)).toBe(`taker-${i}`);
    });
  });

  it("rejects the old owner's writes after a takeover and leaves the rows as they were", async () => {
    const old = await open();
    const taker = await open();
    await old.createWorkflow(newWorkflow("wf", "old"));
    const stale: Fence = { executorId: "old", epoch: 0 };
    expect(await old.recordStep(stepAt("wf", 0, '"old"'), stale)).toBe(true);
    await taker.takeOver(takeoverBy("taker", 10));
    const before = await count(`select count(*) as n from $schema.steps`);

    const late = await Promise.allSettled([
      old.recordStep(stepAt("wf", 1, '"late"'), stale),
      old.setEvent(
        { workflowId: "wf", key: "k", value: '"late"' },
        stepAt("wf", 2, '"late"'),
        stale,
      ),
      old.writeStream(
        { workflowId: "wf", key: "s", value: '"late"', closed: false },
        stepAt("wf", 3, '"late"'),
        stale,
      ),
      old.consumeMessage("t", stepAt("wf", 4, '"late"'), stale),
    ]);
    for (const write of late) {
      expect(write).toMatchObject({
        status: "rejected",
        reason: { code: "WORKFLOW_OWNERSHIP_LOST" },
      });
    }
    await expect(old.finishWorkflow(outcome("old"), stale)).rejects.toMatchObject({
      code: "WORKFLOW_OWNERSHIP_LOST",
    });
    expect(await count(`select count(*) as n from $schema.steps`)).toBe(before);
    expect(await count(`select count(*) as n from $schema.events`)).toBe(0);
    expect(await count(`select count(*) as n from $schema.event_history`)).toBe(0);
    expect(await count(`select count(*) as n from $schema.streams`)).toBe(0);
    const mine: Fence = { executorId: "taker", epoch: 1 };
    expect(await taker.recordStep(stepAt("wf", 1, '"taker"'), mine)).toBe(true);
    expect(await taker.finishWorkflow(outcome("taker"), mine)).toBe(true);
  });

  /** Runs `fn` in a transaction on its own connection that stays open until `release()`. */
  const holdOpen = (fn: (tx: postgres.TransactionSql) => Promise<unknown>, rollback = false) => {
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    let ready!: () => void;
    const started = new Promise<void>((resolve) => (ready = resolve));
    const done = admin
      .begin(async (tx) => {
        await fn(tx);
        ready();
        await released;
        if (rollback) throw new Error("rollback");
      })
      .catch((error: unknown) => {
        if (!rollback) throw error;
      });
    return { started, release: () => (release(), done) };
  };
  /** The takeover update, as one transaction may hold it uncommitted. */
  const takeOverSql = (tx: postgres.TransactionSql, workflowId: string) =>
    tx.unsafe(
      `update "${schema}".workflows set executor_id = 'taker', owner_epoch = owner_epoch + 1
       where workflow_id = $1`,
      [workflowId],
    );
  const settledWithin = (promise: Promise<unknown>, ms: number): Promise<boolean> =>
    Promise.race([
      promise.then(
        () => true,
        () => true,
      ),
      new Promise<boolean>((resolve) => setTimeout(() => resolve(false), ms)),
    ]);

  it("makes a fenced setEvent wait for a takeover in progress, then rejects it", async () => {
    const old = await open();
    await old.createWorkflow(newWorkflow("wf", "old"));
    const takeover = holdOpen((tx) => takeOverSql(tx, "wf"));
    await takeover.started;
    const late = old.setEvent({ workflowId: "wf", key: "k", value: '"late"' }, undefined, {
      executorId: "old",
      epoch: 0,
    });
    const waited = !(await settledWithin(late, 200)); // the share lock waits for the takeover
    await takeover.release();
    expect(waited).toBe(true);
    await expect(late).rejects.toMatchObject({ code: "WORKFLOW_OWNERSHIP_LOST" });
    expect(await old.getEvent("wf", "k")).toBeUndefined();
  });

  // The window the checkpoint insert accepts instead of a row lock on every step: a statement
  // that began before a takeover committed may land just after it, at a free position only.
  it("may land a checkpoint whose statement began before the takeover committed, never over one", async () => {
    const old = await open();
    await old.createWorkflow(newWorkflow("wf", "old"));
    const blocker = holdOpen(
      (tx) =>
        tx.unsafe(
          `insert into "${schema}".steps (workflow_id, position, name, attempts, started_at,
                                          completed_at)
           values ('wf', 0, 'other', 1, 0, 0)`,
        ),
      true,
    );
    await blocker.started;
    const late = old.recordStep(stepAt("wf", 0, '"old"'), { executorId: "old", epoch: 0 });
    const waited = !(await settledWithin(late, 200)); // waits on the uncommitted position
    await admin.begin((tx) => takeOverSql(tx, "wf")).finally(() => blocker.release());
    expect(waited).toBe(true);
    expect(await late).toBe(true);
    const next = old.recordStep(stepAt("wf", 1, '"old"'), { executorId: "old", epoch: 0 });
    await expect(next).rejects.toMatchObject({ code: "WORKFLOW_OWNERSHIP_LOST" });
    const taker: Fence = { executorId: "taker", epoch: 1 };
    expect(await old.recordStep(stepAt("wf", 0, '"taker"'), taker)).toBe(false);
    expect((await old.listSteps("wf")).map((s) => s.output)).toEqual(['"old"']);
  });

  it("lets no write the old owner starts after a racing takeover committed land, nor overwrite", async () => {
    const old = await open();
    const taker = await open();
    const ids = Array.from({ length: 40 }, (_, i) => `wf-${i}`);
    await Promise.all(ids.map((id) => old.createWorkflow(newWorkflow(id, "old"))));
    const stale: Fence = { executorId: "old", epoch: 0 };
    let takenAt = Number.POSITIVE_INFINITY; // set once the takeover committed

    // Each workflow writes its positions in order, as an execution does, and stops at the
    // first rejection; the takeover fires while the writes are in full flow.
    const writers = ids.map(async (id) => {
      const landed: number[] = [];
      for (let position = 0; position < 100; position++) {
        const startedAt = performance.now();
        try {
          expect(await old.recordStep(stepAt(id, position, '"old"'), stale)).toBe(true);
          expect(startedAt).toBeLessThan(takenAt);
          landed.push(position);
        } catch (error) {
          expect(error).toMatchObject({ code: "WORKFLOW_OWNERSHIP_LOST" });
          return landed;
        }
      }
      return landed;
    });
    await new Promise((resolve) => setTimeout(resolve, 30));
    const { recovered } = await taker.takeOver({ ...takeoverBy("taker", 100), ignoreLeases: true });
    takenAt = performance.now();
    const landed = await Promise.all(writers);

    expect(recovered).toHaveLength(ids.length);
    expect(landed.some((positions) => positions.length < 100)).toBe(true);
    const mine: Fence = { executorId: "taker", epoch: 1 };
    for (const [i, id] of ids.entries()) {
      const positions = landed[i] ?? [];
      expect(positions).toEqual(positions.map((_, p) => p)); // a prefix: nothing after a reject
      const rows = await taker.listSteps(id);
      expect(rows.map((s) => s.position)).toEqual(positions);
      // The new owner replays: positions the old owner recorded stay its own, the rest are new.
      const next = positions.length;
      if (next > 0) {
        expect(await taker.recordStep(stepAt(id, next - 1, '"taker"'), mine)).toBe(false);
      }
      expect(await taker.recordStep(stepAt(id, next, '"taker"'), mine)).toBe(true);
      const after = await taker.listSteps(id);
      expect(after.map((s) => s.output)).toEqual([...positions.map(() => '"old"'), '"taker"']);
    }
  });
});

const outcome = (executorId: string) => ({
  workflowId: "wf",
  executorId,
  status: "SUCCESS" as const,
  output: "1",
});
