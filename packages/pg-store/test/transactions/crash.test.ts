/**
 * Kill -9 inside and around transactions, with real processes (`crash/worker.ts`), on Postgres
 * (skipped without a server) and on PGlite data directories. Killed inside the body, before the
 * commit: nothing of the transaction exists, and recovery runs it once. Killed after the commit:
 * recovery returns the recorded result without running the body. With the business table in
 * another database, killed between that database's commit and the store's checkpoint: recovery
 * finds the completion row and does not run the body again. The business rows are counted in
 * the database itself, with the pid of the process whose transaction committed them.
 */
import { join } from "node:path";
import { PGlite } from "@electric-sql/pglite";
import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AppDatabaseConfig, StoreConfig, WorkerConfig } from "../crash/protocol.js";
import { runWorker, spawnWorker, type WorkerProcess } from "../crash/worker-process.js";
import {
  adminSql,
  copyPgliteTemplate,
  databaseUrl,
  freshSchema,
  tempDir,
  uniqueSchema,
} from "../support/databases.js";

const TABLE_DDL = (table: string) =>
  `create table ${table} (id serial primary key, workflow_id text, name text, pid int)`;

/** A store, another database, and SQL on each (only while no worker has them open, on PGlite). */
interface Backend {
  readonly store: StoreConfig;
  readonly app: AppDatabaseConfig;
  /** Business table in the store's database, and in the other one. */
  readonly table: string;
  readonly appTable: string;
  readonly storeSql: <T>(text: string, params?: unknown[]) => Promise<T[]>;
  readonly appSql: <T>(text: string, params?: unknown[]) => Promise<T[]>;
  readonly cleanup: () => Promise<void>;
}

async function postgresBackend(url: string): Promise<Backend> {
  const admin = adminSql();
  const { schema, drop } = freshSchema(admin);
  const appName = uniqueSchema();
  await admin.unsafe(`create schema "${schema}"`);
  await admin.unsafe(TABLE_DDL(`"${schema}".tx_effects`));
  await admin.unsafe(`create database "${appName}"`);
  const appUrl = new URL(url);
  appUrl.pathname = `/${appName}`;
  const app = postgres(appUrl.toString(), { max: 2, onnotice: () => undefined });
  await app.unsafe(TABLE_DDL("public.tx_effects"));
  const query =
    (sql: postgres.Sql) =>
    async <T>(text: string, params: unknown[] = []) =>
      (await sql.unsafe(text, params as never[])) as unknown as T[];
  return {
    store: { kind: "postgres", url, schema },
    app: { kind: "postgres", url: appUrl.toString() },
    table: `"${schema}".tx_effects`,
    appTable: "public.tx_effects",
    storeSql: query(admin),
    appSql: query(app),
    cleanup: async () => {
      await app.end();
      await drop();
      await admin.unsafe(`drop database if exists "${appName}" with (force)`);
      await admin.end();
    },
  };
}

async function pgliteBackend(): Promise<Backend> {
  const dir = tempDir("tx-crash");
  const dataDir = copyPgliteTemplate(join(dir.path, "store"));
  const appDir = copyPgliteTemplate(join(dir.path, "app"));
  const query =
    (path: string) =>
    async <T>(text: string, params: unknown[] = []) => {
      const db = await PGlite.create({ dataDir: path });
      try {
        return (await db.query<T>(text, params)).rows;
      } finally {
        await db.close();
      }
    };
  await query(dataDir)("create schema biz");
  await query(dataDir)(TABLE_DDL("biz.tx_effects"));
  await query(appDir)(TABLE_DDL("public.tx_effects"));
  return {
    store: {
      kind: "pglite",
      dataDir,
      schema: "cairn",
      effectsFile: join(dir.path, "effects.jsonl"),
    },
    app: { kind: "pglite", dataDir: appDir },
    table: "biz.tx_effects",
    appTable: "public.tx_effects",
    storeSql: query(dataDir),
    appSql: query(appDir),
    cleanup: () => Promise.resolve(dir.remove()),
  };
}

const backends = [
  { name: "Postgres", skip: !databaseUrl, open: () => postgresBackend(databaseUrl ?? "") },
  { name: "PGlite", skip: false, open: pgliteBackend },
];

for (const { name, skip, open } of backends) {
  // Each test boots two or three worker processes; on PGlite each boot loads the database from
  // disk, which at a CI load of 30 took 36-40 s per test against the 60 s default. A cap, not a
  // measurement: nothing here asserts how long anything took.
  describe.skipIf(skip)(`SIGKILL around transactions on ${name}`, { timeout: 180_000 }, () => {
    let backend: Backend;
    beforeAll(async () => {
      backend = await open();
    });
    afterAll(() => backend.cleanup());

    const config = (
      workflowId: string,
      workflow: "crash.tx" | "crash.txApp",
      mode: WorkerConfig["mode"],
      hold?: string,
    ): WorkerConfig => ({
      store: backend.store,
      appDatabase: backend.app,
      executorId: `executor-${workflowId}`,
      workflowId,
      workflow,
      mode,
      input: { table: workflow === "crash.tx" ? backend.table : backend.appTable },
      ...(hold === undefined ? {} : { hold }),
    });
    const killAt = async (worker: WorkerProcess, point: string) => {
      await worker.waitFor("HOLD", (m) => m.point === point);
      expect((await worker.kill()).signal, worker.output()).toBe("SIGKILL");
    };
    const recover = async (workerConfig: WorkerConfig) => {
      const { worker, exit } = await runWorker(workerConfig);
      expect(exit, worker.output()).toEqual({ code: 0, signal: null });
      return { worker, report: await worker.waitFor("REPORT") };
    };
    const rows = (sql: Backend["storeSql"], table: string, workflowId: string) =>
      sql<{ name: string; pid: number }>(
        `select name, pid from ${table} where workflow_id = $1 order by id`,
        [workflowId],
      );
    const checkpoints = async (workflowId: string) =>
      (
        await backend.storeSql<{ name: string }>(
          `select name from "${backend.store.schema}".steps where workflow_id = $1 order by position`,
          [workflowId],
        )
      ).map((r) => r.name);
    const ranBody = (worker: WorkerProcess, step: string) =>
      worker.markers.some((m) => m.kind === "STEP_START" && m.step === step);

    it("commits nothing when killed inside the transaction, and recovery runs it once", async () => {
      const first = spawnWorker(config("inside", "crash.tx", "start", "inside:reserveTx"));
      await killAt(first, "inside:reserveTx");
      expect(await rows(backend.storeSql, backend.table, "inside")).toEqual([]);
      expect(await checkpoints("inside")).toEqual([]);

      const { worker: second, report } = await recover(config("inside", "crash.tx", "recover"));
      expect(report.workflow).toMatchObject({
        status: "SUCCESS",
        result: ["reserveTx done", "paid"],
      });
      expect(await rows(backend.storeSql, backend.table, "inside")).toEqual([
        { name: "reserveTx", pid: second.pid },
      ]);
      expect(await checkpoints("inside")).toEqual(["reserveTx", "pay"]);
    });

    it("returns the recorded result after a kill that followed the commit", async () => {
      const first = spawnWorker(config("after", "crash.tx", "start", "after:reserveTx"));
      await killAt(first, "after:reserveTx");
      expect(await rows(backend.storeSql, backend.table, "after")).toEqual([
        { name: "reserveTx", pid: first.pid },
      ]);

      const { worker: second, report } = await recover(config("after", "crash.tx", "recover"));
      expect(report.workflow).toMatchObject({
        status: "SUCCESS",
        result: ["reserveTx done", "paid"],
      });
      expect(ranBody(second, "reserveTx")).toBe(false);
      expect(await rows(backend.storeSql, backend.table, "after")).toEqual([
        { name: "reserveTx", pid: first.pid },
      ]);
    });

    it("keeps a transaction in another database once when killed between the two commits", async () => {
      const hold = "before-checkpoint:reserveApp";
      const first = spawnWorker(config("two-dbs", "crash.txApp", "start", hold));
      await killAt(first, hold);
      expect(await rows(backend.appSql, backend.appTable, "two-dbs")).toEqual([
        { name: "reserveApp", pid: first.pid },
      ]);
      expect(await checkpoints("two-dbs")).toEqual([]);
      const completions = await backend.appSql<{ name: string }>(
        "select name from app_cairn.transaction_completions where workflow_id = 'two-dbs'",
      );
      expect(completions).toEqual([{ name: "reserveApp" }]);

      const { worker: second, report } = await recover(config("two-dbs", "crash.txApp", "recover"));
      expect(report.workflow).toMatchObject({
        status: "SUCCESS",
        result: ["reserveApp done", "paid"],
      });
      expect(ranBody(second, "reserveApp")).toBe(false);
      expect(await rows(backend.appSql, backend.appTable, "two-dbs")).toEqual([
        { name: "reserveApp", pid: first.pid },
      ]);
      expect(await checkpoints("two-dbs")).toEqual(["reserveApp", "pay"]);
    });
  });
}
