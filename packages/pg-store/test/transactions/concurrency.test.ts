/**
 * Transactions against other sessions on a real Postgres server (skipped without one): the
 * workflow row lock makes a takeover skip the workflow and a change of owner wait until the
 * transaction ended, after which the old owner's next transaction is fenced off; a real
 * serialization failure (40001) is retried and commits once, or is recorded once retries run
 * out; the idle timeout that frees a frozen process's lock is set for the transaction only.
 * Every wait here is for an observable state (a lock wait, a log line), never for time.
 */
import { createEngine, workflow, type Engine, type Logger } from "@cairn/core";
import type postgres from "postgres";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { createPgStore, transaction, type PgStore } from "../../src/index.js";
import { adminSql, databaseUrl, freshSchema } from "../support/databases.js";
import { Closers, quietLogger } from "../support/engine-databases.js";
import { gate, run, TICKETS_DDL } from "./support.js";

const gates = new Map<
  string,
  { reached: ReturnType<typeof gate>; release: ReturnType<typeof gate> }
>();
/** Holds the body at `key` on the first attempt that reaches it: says so, waits for release. */
const holdAt = async (key: string) => {
  const held = gates.get(key);
  if (!held) return;
  gates.delete(key);
  held.reached.open();
  await held.release.wait;
};
const arm = (key: string) => {
  const held = { reached: gate(), release: gate() };
  gates.set(key, held);
  return held;
};
const attempts: number[] = [];

const effect = (name: string) =>
  transaction.withContext(name, async ({ workflowId }, tx, schema: string) => {
    await run(tx, `insert into "${schema}".effects (workflow_id, what) values ($1, $2)`, [
      workflowId,
      name,
    ]);
    await holdAt(`${workflowId}:${name}`);
    return name;
  });
const first = effect("first");
const second = effect("second");
const twoSteps = workflow("cc.two", async (ctx, schema: string) => {
  const done = [await first(ctx, schema)];
  await holdAt(`${ctx.workflowId}:between`); // not durable: only lets the test act here
  done.push(await second(ctx, schema));
  return done;
});

const rereserve = transaction.withContext(
  { name: "rereserve", isolationLevel: "repeatable read" },
  async ({ workflowId, attempt }, tx, schema: string) => {
    attempts.push(attempt);
    await run(tx, `select held_by from "${schema}".tickets where id = 'A1'`);
    await holdAt(`${workflowId}:rereserve`);
    await run(tx, `update "${schema}".tickets set held_by = $1 where id = 'A1'`, [workflowId]);
    await run(tx, `insert into "${schema}".effects (workflow_id, what) values ($1, 'rr')`, [
      workflowId,
    ]);
    return attempt;
  },
);
const noRetry = transaction(
  { name: "noRetry", isolationLevel: "repeatable read", maxRetries: 0 },
  async (tx, schema: string, workflowId: string) => {
    await run(tx, `select held_by from "${schema}".tickets where id = 'A2'`);
    await holdAt(`${workflowId}:noRetry`);
    await run(tx, `update "${schema}".tickets set held_by = 'x' where id = 'A2'`);
  },
);
const conflicted = workflow("cc.conflicted", async (ctx, schema: string) => ({
  value: await rereserve(ctx, schema),
  error: await noRetry(ctx, schema, ctx.workflowId).catch((error: unknown) => error),
}));

const idle = transaction(
  { name: "idle", idleTimeoutMs: 4_321 },
  async (tx) =>
    (
      await run<{ timeout: string }>(
        tx,
        "select current_setting('idle_in_transaction_session_timeout') as timeout",
      )
    )[0]?.timeout,
);
const idling = workflow("cc.idle", async (ctx) => idle(ctx));

describe.skipIf(!databaseUrl)("transactions and other sessions on Postgres", () => {
  let admin: postgres.Sql;
  let schema: string;
  let drop: () => Promise<void>;
  const closers = new Closers();
  const warnings: string[] = [];
  const logger: Logger = { ...quietLogger, warn: (message) => void warnings.push(message) };

  beforeAll(() => {
    admin = adminSql();
  });
  afterAll(() => admin.end());
  beforeEach(() => {
    ({ schema, drop } = freshSchema(admin));
    warnings.length = 0;
    attempts.length = 0;
  });
  afterEach(async () => {
    await closers.closeAll();
    await drop();
  });

  const store = (): PgStore => createPgStore({ url: databaseUrl, schema, max: 4 });
  const launch = async () => {
    const engine = createEngine({
      store: store(),
      workflows: [twoSteps, conflicted, idling],
      logger,
      executorId: "owner",
      shutdownGraceMs: 0,
    });
    closers.add(engine, (e: Engine) => e.shutdown());
    await engine.launch();
    for (const statement of TICKETS_DDL)
      await admin.unsafe(statement.replaceAll("{{schema}}", `"${schema}"`));
    return engine;
  };
  const effects = async (workflowId: string) =>
    (
      await admin.unsafe<{ what: string }[]>(
        `select what from "${schema}".effects where workflow_id = $1 order by id`,
        [workflowId],
      )
    ).map((r) => r.what);
  const steps = async (workflowId: string) =>
    admin.unsafe<{ name: string; attempts: number; has_error: boolean }[]>(
      `select name, attempts, error is not null as has_error from "${schema}".steps
       where workflow_id = $1 order by position`,
      [workflowId],
    );

  it("makes a takeover skip, and a change of owner wait for, an open transaction; the next one is fenced", async () => {
    const engine = await launch();
    const held = arm("fenced:first");
    const between = arm("fenced:between");
    await engine.start(twoSteps, schema, { id: "fenced" });
    await held.reached.wait;

    const rival = closers.add(store(), (s: PgStore) => s.close());
    const claim = { executorId: "rival", names: ["cc.two"], maxRecoveryAttempts: {}, limit: 10 };
    const skipped = await rival.takeOver({ ...claim, ignoreLeases: true });
    expect(skipped.recovered).toEqual([]);

    const handover = admin
      .unsafe(
        `update "${schema}".workflows set executor_id = 'rival', owner_epoch = owner_epoch + 1
       where workflow_id = 'fenced'`,
      )
      .execute(); // postgres.js queries are lazy: send it now
    await vi.waitFor(
      async () => {
        const [waiting] = await admin.unsafe<{ n: number }[]>(
          `select count(*)::int as n from pg_stat_activity
           where wait_event_type = 'Lock' and query like '%set executor_id = ''rival''%'`,
        );
        expect(waiting?.n).toBe(1);
      },
      { timeout: 20_000, interval: 50 },
    );
    held.release.open();
    await handover;
    await between.reached.wait;
    between.release.open();

    await vi.waitFor(() => expect(warnings.join("\n")).toMatch(/workflow fenced\b.*stopped here/), {
      timeout: 20_000,
      interval: 50,
    });
    expect(await effects("fenced")).toEqual(["first"]);
    expect((await steps("fenced")).map((s) => s.name)).toEqual(["first"]);
  });

  it("retries a real serialization failure and commits once", async () => {
    const engine = await launch();
    const held = arm("conflict:rereserve");
    const heldNoRetry = arm("conflict:noRetry");
    const handle = await engine.start(conflicted, schema, { id: "conflict" });
    await held.reached.wait;
    await admin.unsafe(`update "${schema}".tickets set held_by = 'someone' where id = 'A1'`);
    held.release.open();
    await heldNoRetry.reached.wait;
    await admin.unsafe(`update "${schema}".tickets set held_by = 'someone' where id = 'A2'`);
    heldNoRetry.release.open();

    const { value, error } = await handle.result();
    expect(attempts).toEqual([1, 2]);
    expect(value).toBe(2);
    expect((error as { code?: string }).code).toBe("40001");
    expect(await effects("conflict")).toEqual(["rr"]);
    expect(await steps("conflict")).toEqual([
      { name: "rereserve", attempts: 2, has_error: false },
      { name: "noRetry", attempts: 1, has_error: true },
    ]);
  });

  it("bounds the transaction's idle time on the server", async () => {
    const engine = await launch();
    await expect((await engine.start(idling, undefined)).result()).resolves.toBe("4321ms");
  });
});
