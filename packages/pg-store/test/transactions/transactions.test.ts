/**
 * `transaction()` through a real engine on Postgres (skipped without a server) and on PGlite:
 * the body's writes and its checkpoint commit together (one transaction ID on both rows); a
 * replay returns the recorded result or rethrows the recorded error without running the body;
 * a failing body or an unserializable result rolls back and records the error; isolation level
 * and read-only mode reach the database; a changed history is a NonDeterminismError; bad
 * options and a store without a database are typed errors.
 */
import {
  createEngine,
  NonDeterminismError,
  NotInWorkflowError,
  InvalidOptionError,
  SerializationError,
  step,
  workflow,
  type AnyWorkflow,
  type Engine,
  type WorkflowStore,
} from "@cairn/core";
import { createMemoryStore } from "@cairn/core/testing";
import { beforeEach, describe, expect, it } from "vitest";
import { transaction, UnsupportedStoreError } from "../../src/index.js";
import {
  Closers,
  databasePerTest,
  engineBackends,
  quietLogger,
  type TestDatabase,
} from "../support/engine-databases.js";
import { run, TICKETS_DDL } from "./support.js";

/** How many times each body ran in this process, by name. */
const ran = new Map<string, number>();
const count = (name: string) => ran.set(name, (ran.get(name) ?? 0) + 1);

const reserve = transaction.withContext(
  "reserve",
  async ({ workflowId }, tx, schema: string, ticket: string) => {
    count("reserve");
    const rows = await run(
      tx,
      `update "${schema}".tickets set held_by = $1 where id = $2 and held_by is null returning id`,
      [workflowId, ticket],
    );
    return rows.length === 1;
  },
);

const failing = transaction("failing", async (tx, schema: string) => {
  count("failing");
  await run(tx, `insert into "${schema}".effects (workflow_id, what) values ('x', 'failing')`);
  throw new RangeError("no seats left");
});

const unserializable = transaction("unserializable", async (tx, schema: string) => {
  count("unserializable");
  await run(tx, `insert into "${schema}".effects (workflow_id, what) values ('x', 'unser')`);
  return { callback: () => "functions do not serialize" };
});

const settings = transaction(
  { name: "settings", isolationLevel: "serializable", readOnly: true },
  async (tx) => {
    const [row] = await run<{ iso: string; ro: string }>(
      tx,
      `select current_setting('transaction_isolation') as iso,
              current_setting('transaction_read_only') as ro`,
    );
    return row;
  },
);

const writeReadOnly = transaction(
  { name: "writeReadOnly", readOnly: true },
  async (tx, schema: string) => {
    await run(tx, `insert into "${schema}".effects (workflow_id, what) values ('x', 'ro')`);
  },
);

const checkout = workflow("tx.checkout", async (ctx, input: { schema: string; ticket: string }) =>
  reserve(ctx, input.schema, input.ticket),
);

const survivor = workflow("tx.survivor", async (ctx, schema: string) => {
  const errors: unknown[] = [];
  await failing(ctx, schema).catch((error: unknown) => errors.push(error));
  await unserializable(ctx, schema).catch((error: unknown) => errors.push(error));
  await writeReadOnly(ctx, schema).catch((error: unknown) => errors.push(error));
  return errors;
});

const modes = workflow("tx.modes", async (ctx) => settings(ctx));

const all: AnyWorkflow[] = [checkout, survivor, modes];

for (const backend of engineBackends) {
  describe.skipIf(backend.skip)(`transactions on ${backend.name}`, () => {
    let db: TestDatabase;
    let schema: string;
    const closers = new Closers();
    databasePerTest(backend, closers, () => db);
    beforeEach(async () => {
      db = backend.database();
      schema = db.schema;
      ran.clear();
    });

    const launch = async (workflows: AnyWorkflow[] = all, store: WorkflowStore = db.store()) => {
      const engine = createEngine({ store, workflows, logger: quietLogger, shutdownGraceMs: 0 });
      closers.add(engine, (e: Engine) => e.shutdown());
      await engine.launch();
      for (const statement of TICKETS_DDL) await db.query(statement);
      return engine;
    };

    it("commits the body's writes and its checkpoint in one transaction", async () => {
      const engine = await launch();
      const handle = await engine.start(checkout, { schema, ticket: "A1" }, { id: "buy-1" });
      await expect(handle.result()).resolves.toBe(true);

      const [ticket] = await db.query<{ held_by: string; xid: string }>(
        "select held_by, xmin::text as xid from {{schema}}.tickets where id = 'A1'",
      );
      const [checkpoint] = await db.query<{ name: string; xid: string }>(
        "select name, xmin::text as xid from {{schema}}.steps where workflow_id = 'buy-1'",
      );
      expect(ticket?.held_by).toBe("buy-1");
      expect(checkpoint?.name).toBe("reserve");
      expect(checkpoint?.xid).toBe(ticket?.xid);
    });

    it("returns the recorded result on replay instead of running the body again", async () => {
      const engine = await launch();
      await (await engine.start(checkout, { schema, ticket: "A2" }, { id: "buy-2" })).result();
      expect(ran.get("reserve")).toBe(1);

      const fork = await engine.fork("buy-2", { fromStep: 1, id: "buy-2-fork" });
      await expect(fork.result()).resolves.toBe(true);
      expect(ran.get("reserve")).toBe(1);
      const holders = await db.query<{ held_by: string }>(
        "select held_by from {{schema}}.tickets where id = 'A2'",
      );
      expect(holders).toEqual([{ held_by: "buy-2" }]);
    });

    it("rolls back a failing body and records its error, which replay rethrows", async () => {
      const engine = await launch();
      const errors = await (await engine.start(survivor, schema, { id: "survivor" })).result();
      expect(errors).toHaveLength(3);
      expect(errors[0]).toBeInstanceOf(RangeError);
      expect((errors[0] as Error).message).toBe("no seats left");
      expect(SerializationError.is(errors[1])).toBe(true);
      expect((errors[1] as Error).message).toContain('output of transaction "unserializable"');
      expect((errors[2] as { code?: string }).code).toBe("25006"); // read-only transaction
      const effects = await db.query("select * from {{schema}}.effects");
      expect(effects).toEqual([]);
      const steps = await db.query<{ name: string; has_error: boolean }>(
        "select name, error is not null as has_error from {{schema}}.steps order by position",
      );
      expect(steps).toEqual([
        { name: "failing", has_error: true },
        { name: "unserializable", has_error: true },
        { name: "writeReadOnly", has_error: true },
      ]);

      const replayed = (await (
        await engine.fork("survivor", { fromStep: 3 })
      ).result()) as unknown[];
      expect(ran.get("failing")).toBe(1);
      expect(ran.get("unserializable")).toBe(1);
      expect((replayed[0] as Error).message).toBe("no seats left");
      expect(replayed[0]).toBeInstanceOf(RangeError);
    });

    it("runs at the isolation level and access mode it was given", async () => {
      const engine = await launch();
      const result = await (await engine.start(modes, undefined)).result();
      expect(result).toEqual({ iso: "serializable", ro: "on" });
    });

    it("fails the workflow with NonDeterminismError when replay finds another operation", async () => {
      const engine = await launch();
      await (await engine.start(checkout, { schema, ticket: "B1" }, { id: "det" })).result();
      const changed = workflow("tx.checkout", async (ctx) => step("other", () => 1)(ctx));
      const other = createEngine({ store: db.store(), workflows: [changed], logger: quietLogger });
      closers.add(other, (e: Engine) => e.shutdown());
      await other.launch();
      const fork = await other.fork("det", { fromStep: 1 });
      await expect(fork.result()).rejects.toSatisfy((error: unknown) =>
        NonDeterminismError.is(error),
      );
    });
  });
}

describe("transaction() outside the store it needs", () => {
  it("refuses a call without a workflow context", async () => {
    await expect(reserve({} as never, "s", "t")).rejects.toBeInstanceOf(NotInWorkflowError);
  });

  it("fails the workflow with UnsupportedStoreError on a store without a database", async () => {
    const engine = createEngine({
      store: createMemoryStore(),
      workflows: [checkout],
      logger: quietLogger,
    });
    await engine.launch();
    try {
      const handle = await engine.start(checkout, { schema: "s", ticket: "t" });
      await expect(handle.result()).rejects.toSatisfy((error: unknown) =>
        UnsupportedStoreError.is(error),
      );
    } finally {
      await engine.shutdown();
    }
  });

  it("rejects bad options when the transaction is defined", () => {
    const body = async () => undefined;
    expect(() => transaction("", body)).toThrow(InvalidOptionError);
    expect(() =>
      transaction({ name: "t", isolationLevel: "snapshot" as "serializable" }, body),
    ).toThrow(/isolationLevel/);
    expect(() => transaction({ name: "t", maxRetries: -1 }, body)).toThrow(/maxRetries/);
    expect(() => transaction({ name: "t", idleTimeoutMs: 0 }, body)).toThrow(/idleTimeoutMs/);
    expect(() => transaction({ name: "t", database: {} as never }, body)).toThrow(/database/);
  });
});
