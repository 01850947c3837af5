/**
 * `SqlExecutor.pipelinedTransaction` on Postgres and PGlite: statements sent together run in
 * order in one transaction — each sees the ones before, all commit together, and one failure
 * leaves nothing written and rejects with that statement's error. On Postgres, one started as
 * the previous one's answer is read runs on the same connection, unless the pool has only that
 * one: then a statement waiting for it runs first.
 */
import postgres from "postgres";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { postgresExecutor } from "../src/executors/postgres-executor.js";
import { connectionOf } from "../src/store-connection.js";
import type { PgStore } from "../src/index.js";
import { databaseUrl } from "./support/databases.js";
import { engineBackends, type TestDatabase } from "./support/engine-databases.js";

describe.each(engineBackends)("pipelined transactions on $name", (backend) => {
  let db: TestDatabase;
  let store: PgStore;
  beforeAll(() => backend.open());
  afterAll(() => backend.close());
  afterEach(async () => {
    await store.close();
    await db.drop();
  });

  const open = async () => {
    db = backend.database();
    store = db.store() as PgStore;
    await store.migrate();
    await db.query(`create table {{schema}}.pipe (n int primary key)`);
    const connection = connectionOf(store);
    if (!connection) throw new Error("no connection");
    return { executor: connection.db, table: `"${db.schema}".pipe` };
  };
  const rows = async () =>
    (await db.query<{ n: number }>(`select n from {{schema}}.pipe order by n`)).map((r) => r.n);

  it.skipIf(backend.skip)("runs the statements in order and commits them together", async () => {
    const { executor, table } = await open();
    const answers = await executor.pipelinedTransaction([
      { text: `insert into ${table} (n) values ($1)`, params: [1] },
      { text: `insert into ${table} (n) select max(n) + 1 from ${table}` },
      { text: `select count(*)::int as c from ${table}` },
    ]);
    expect(answers[2]).toEqual([{ c: 2 }]);
    expect(await rows()).toEqual([1, 2]);
  });

  it.skipIf(backend.skip)(
    "writes nothing and rejects with the failing statement's error",
    async () => {
      const { executor, table } = await open();
      await expect(
        executor.pipelinedTransaction([
          { text: `insert into ${table} (n) values ($1)`, params: [1] },
          { text: `insert into ${table} (n) values ($1)`, params: [1] },
          { text: `insert into ${table} (n) values ($1)`, params: [3] },
        ]),
      ).rejects.toMatchObject({ code: "23505" });
      expect(await rows()).toEqual([]);
      // The connection is usable again.
      await executor.pipelinedTransaction([{ text: `insert into ${table} (n) values (7)` }]);
      expect(await rows()).toEqual([7]);
    },
  );
});

describe.skipIf(!databaseUrl)("pipelined transactions on a Postgres pool", () => {
  it("runs back-to-back ones on one connection while the pool has others open", async () => {
    const executor = postgresExecutor(
      postgres(databaseUrl ?? "", { max: 10, onnotice: () => {} }),
      true,
    );
    try {
      // Three connections open and idle in the pool.
      await Promise.all([1, 2, 3].map(() => executor.query("select pg_sleep(0.05)")));
      const pids = new Set<number>();
      for (let i = 0; i < 6; i++) {
        const [rows] = await executor.pipelinedTransaction([
          { text: "select pg_backend_pid() as pid" },
        ]);
        pids.add((rows as { pid: number }[])[0]?.pid ?? -1);
      }
      // Given back at once, the pool handed out its longest-idle connection: three pids.
      expect(pids.size).toBe(1);
    } finally {
      await executor.close();
    }
  });

  it("on a pool of one, serves a statement queued behind one before the next", async () => {
    const executor = postgresExecutor(
      postgres(databaseUrl ?? "", { max: 1, onnotice: () => {} }),
      true,
    );
    try {
      const order: string[] = [];
      const first = executor.pipelinedTransaction([{ text: "select 1" }]);
      // Queued: the pool's only connection is reserved by the first transaction.
      const queued = executor.query("select 2").then(() => order.push("queued statement"));
      await first;
      await executor.pipelinedTransaction([{ text: "select 3" }]);
      order.push("next pipelined transaction");
      await queued;
      expect(order).toEqual(["queued statement", "next pipelined transaction"]);
    } finally {
      await executor.close();
    }
  });

  it("lets a user's own client end in the same turn as an answer that came after the store closed", async () => {
    const sql = postgres(databaseUrl ?? "", { max: 10, onnotice: () => {} });
    const executor = postgresExecutor(sql, false); // not owned: close() leaves the client open
    const answered = executor.pipelinedTransaction([{ text: "select 1" }]);
    await executor.close(); // before the answer, which needs the socket's next read
    await answered;
    // Kept to the next check phase, the connection would still be reserved here: postgres.js's
    // end() then waits for its release, and a release after end() opens it again instead of
    // ending it, so this never resolved (the test timed out).
    await sql.end();
    await expect(executor.query("select 1")).rejects.toThrow(); // ended for good
  });
});
