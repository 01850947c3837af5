/**
 * `SqlExecutor.pipelinedTransaction` on Postgres and PGlite: statements sent together run in
 * order in one transaction — each sees the ones before, all commit together, and one failure
 * leaves nothing written and rejects with that statement's error. On Postgres, one started as
 * the previous one's answer is read runs on the same connection.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { connectionOf } from "../src/store-connection.js";
import type { PgStore } from "../src/index.js";
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

  it.skipIf(backend.skip || backend.name !== "Postgres")(
    "runs back-to-back pipelined transactions on one connection while the pool has others open",
    async () => {
      const { executor } = await open();
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
    },
  );
});
