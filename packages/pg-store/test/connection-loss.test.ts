/**
 * A backend ended under the driver with pg_terminate_backend on the real server: postgres.js
 * 3.4.9 (unpatched) threw a TypeError from a timer when a query was written to the connection
 * after its socket closed, and the process died; or a statement never settled, or the pool
 * handed the dead connection to the next caller. With the patch (docs/decisions/0019): the
 * statements on a lost connection reject with a connection error, every one of them settles
 * (a hang fails the test through its timeout, no test sleeps), and the next query reconnects.
 * The crash checks run in a child process, which would die; the rest run here, where an
 * unhandled error fails the run.
 */
import { spawn } from "node:child_process";
import net from "node:net";
import { fileURLToPath } from "node:url";
import { createEngine, step, workflow, type Engine } from "@cairn/core";
import postgres from "postgres";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import {
  createPgStore,
  DatabaseUnavailableError,
  transaction,
  type PgStore,
} from "../src/index.js";
import { isConnectionError } from "../src/executors/postgres-executor.js";
import { connectionOf } from "../src/store-connection.js";
import { adminSql, databaseUrl, freshSchema } from "./support/databases.js";
import { Closers, quietLogger } from "./support/engine-databases.js";
import { run } from "./transactions/support.js";

const packageDir = fileURLToPath(new URL("..", import.meta.url));

/** The client's own connections: `application_name` set through the URL, unique per test. */
function tagged(url: string): { url: string; name: string } {
  const name = `cairn_loss_${Math.random().toString(36).slice(2, 10)}`;
  const parsed = new URL(url);
  parsed.searchParams.set("application_name", name);
  return { url: parsed.toString(), name };
}

/**
 * Ends every backend of `name` and waits until each one has exited, so its socket is closed
 * server-side before the test goes on. Returns how many there were.
 */
async function terminateAll(admin: postgres.Sql, name: string): Promise<number> {
  const ended = await admin<{ ended: boolean }[]>`
    select pg_terminate_backend(pid, 10000) as ended
    from pg_stat_activity where application_name = ${name}`;
  expect(ended.every((row) => row.ended)).toBe(true);
  return ended.length;
}

/** What each statement came to: "ok", or the code of the error it rejected with. */
const outcome = (promise: Promise<unknown>): Promise<string> =>
  promise.then(
    () => "ok",
    (error: unknown) =>
      isConnectionError(error) ? "connection-error" : String((error as Error).message),
  );

/**
 * The child: the deterministic repro of the crash (a reserved connection whose backend was
 * ended, then two more statements on it), then the same through sql.begin; after each, the
 * next query on the same client. Prints one JSON line; the test reads it after a normal exit.
 */
const CHILD = `
import postgres from "postgres";
const url = process.env.CAIRN_LOSS_URL;
const sql = postgres(url, { max: 2, fetch_types: false, onnotice() {} });
const admin = postgres(process.env.CAIRN_ADMIN_URL, { max: 1, onnotice() {} });
const outcome = (p) => p.then(() => "ok", (e) => e.code ?? String(e));
const end = (pid) => admin\`select pg_terminate_backend(\${pid}, 10000)\`;
await sql\`select 1\`; // a warm pool: reserve() takes an open connection
const reserved = await sql.reserve();
await end((await reserved\`select pg_backend_pid() as pid\`)[0].pid);
const reservedAfter = [await outcome(reserved\`select 1\`), await outcome(reserved\`select 1\`)];
reserved.release();
const pooledNext = await outcome(sql\`select 1\`);
const again = await sql.reserve();
const reservedNext = await outcome(again\`select 1\`);
again.release();
let beginAfter = [];
const begin = await outcome(sql.begin(async (tx) => {
  await end((await tx\`select pg_backend_pid() as pid\`)[0].pid);
  beginAfter = [await outcome(tx\`select 1\`), await outcome(tx\`select 1\`)];
}));
const afterBegin = await outcome(sql\`select 1\`);
console.log(JSON.stringify({ reservedAfter, pooledNext, reservedNext, begin, beginAfter, afterBegin }));
await sql.end({ timeout: 1 });
await admin.end();
`;

interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

describe.skipIf(!databaseUrl)("a backend ended under the driver", () => {
  const url = databaseUrl ?? "";
  let admin: postgres.Sql;
  const closers = new Closers();
  beforeAll(() => {
    admin = adminSql();
  });
  afterAll(() => admin.end());
  afterEach(() => closers.closeAll());

  /**
   * A store on a fresh schema whose connections are tagged (`name`), with a table `effects` that
   * the tests' transactions write to.
   */
  const storeWithEffects = async (): Promise<{ store: PgStore; schema: string; name: string }> => {
    const { url: own, name } = tagged(url);
    const { schema, drop } = freshSchema(admin);
    const store = createPgStore({ url: own, schema, max: 4 });
    closers.add(schema, drop);
    closers.add(store, (s) => s.close());
    await store.migrate();
    await admin.unsafe(`create table "${schema}".effects (workflow_id text, what text)`);
    return { store, schema, name };
  };

  const runChild = (): Promise<Exit> => {
    const child = spawn(process.execPath, ["--input-type=module", "-e", CHILD], {
      cwd: packageDir, // where "postgres" resolves to the workspace's (patched) copy
      env: { ...process.env, CAIRN_LOSS_URL: tagged(url).url, CAIRN_ADMIN_URL: url },
      stdio: ["ignore", "pipe", "pipe"],
    });
    closers.add(child, async (c) => {
      if (c.exitCode === null && c.signalCode === null) c.kill("SIGKILL");
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    return new Promise((resolve) =>
      child.on("close", (code, signal) => resolve({ code, signal, stdout, stderr })),
    );
  };

  it("no longer ends a process that writes to a reserved connection whose backend was ended", async () => {
    const exit = await runChild(); // a hung statement keeps the child alive: the test times out
    expect(exit.stderr).not.toContain("TypeError");
    expect(exit).toMatchObject({ code: 0, signal: null });
    const codes = ["CONNECTION_CLOSED", "ECONNRESET", "EPIPE"];
    const report = JSON.parse(exit.stdout.trim()) as Record<string, string | string[]>;
    expect(report["reservedAfter"]).toHaveLength(2);
    for (const code of report["reservedAfter"] as string[]) expect(codes).toContain(code);
    expect(report["pooledNext"]).toBe("ok"); // the pool reconnected instead of reusing it dead
    expect(report["reservedNext"]).toBe("ok");
    expect(codes).toContain(report["begin"]);
    for (const code of report["beginAfter"] as string[]) expect(codes).toContain(code);
    expect(report["afterBegin"]).toBe("ok");
  }, 30_000);

  it("hands a cold pool's first reserve() a connection with fetch_types off (it waited forever)", async () => {
    const sql = closers.add(
      postgres(url, { max: 2, fetch_types: false, onnotice: () => {} }),
      (s) => s.end({ timeout: 1 }),
    );
    const reserved = await sql.reserve(); // this times the test out unpatched (upstream #751)
    expect(await outcome(reserved`select 1`)).toBe("ok");
    reserved.release();
  }, 30_000);

  it("settles every statement queued on a lost reserved connection, then reconnects", async () => {
    const { url: own, name } = tagged(url);
    const sql = closers.add(
      postgres(own, { max: 2, fetch_types: false, onnotice: () => {} }),
      (s) => s.end({ timeout: 1 }),
    );
    await sql`select 1`; // warm: unpatched, a cold reserve() hangs before the loss is reached
    const reserved = await sql.reserve();
    await reserved`select 1`;
    expect(await terminateAll(admin, name)).toBe(1);
    // More than postgres.js pipelines at once (100): the rest wait in the reservation's queue.
    const statements = Array.from({ length: 150 }, (_, i) => outcome(reserved`select ${i}::int`));
    const outcomes = await Promise.all(statements); // one that never settles times the test out
    expect(new Set(outcomes)).toEqual(new Set(["connection-error"]));
    reserved.release();
    expect(await outcome(sql`select 1`)).toBe("ok");
    const again = await sql.reserve();
    expect(await outcome(again`select 1`)).toBe("ok");
    again.release();
  }, 30_000);

  it("rejects what a sql.begin body sends after its connection was lost, on no other connection", async () => {
    const { url: own, name } = tagged(url);
    const sql = closers.add(
      postgres(own, { max: 1, fetch_types: false, onnotice: () => {} }),
      (s) => s.end({ timeout: 1 }),
    );
    const { schema, drop } = freshSchema(admin);
    closers.add(schema, drop);
    await admin.unsafe(`create schema "${schema}"; create table "${schema}".t (what text)`);
    let body: Promise<string[]> = Promise.resolve([]);
    const lost = outcome(
      sql.begin((tx) => {
        // sql.begin rejects once the connection is lost; the body goes on regardless.
        body = (async () => {
          await terminateAll(admin, name);
          const first = await outcome(tx`select 1`);
          // The pool reconnects its one connection for the next caller: a statement of the
          // lost transaction must not run there (nor commit with someone else's transaction).
          const next = await outcome(sql`select 1`);
          const late = await outcome(tx.unsafe(`insert into "${schema}".t values ('late')`));
          return [first, next, late];
        })();
        return body;
      }),
    );
    expect(await lost).toBe("connection-error");
    expect(await body).toEqual(["connection-error", "ok", "connection-error"]);
    expect(await admin.unsafe(`select * from "${schema}".t`)).toEqual([]);
    expect(await outcome(sql`select 1`)).toBe("ok");
  }, 30_000);

  it("fails a store's pipelined transaction and sql.begin whose backend ends, and the next ones run", async () => {
    const { url: own } = tagged(url);
    const store = closers.add(createPgStore({ url: own, schema: freshSchema(admin).schema }), (s) =>
      s.close(),
    );
    const db = connectionOf(store)?.db;
    if (!db) throw new Error("no connection");
    await db.query("select 1"); // warm, as above
    const suicide = { text: "select pg_terminate_backend(pg_backend_pid())" };
    for (let round = 0; round < 3; round++) {
      const failed = db.pipelinedTransaction([{ text: "select 1" }, suicide, { text: "select 2" }]);
      await expect(failed).rejects.toBeInstanceOf(DatabaseUnavailableError);
      await expect(db.pipelinedTransaction([{ text: "select 3 as n" }])).resolves.toEqual([
        [{ n: 3 }],
      ]);
      const lostTx = db.transaction(async (tx) => {
        await tx.query(suicide.text);
      });
      await expect(lostTx).rejects.toBeInstanceOf(DatabaseUnavailableError);
      await expect(db.query("select 4 as n")).resolves.toEqual([{ n: 4 }]);
    }
  }, 30_000);

  it("answers the next query alone after a connection lost in the middle of a result", async () => {
    const { url: own, name } = tagged(url);
    const sql = closers.add(
      postgres(own, { max: 1, fetch_types: false, onnotice: () => {} }),
      (s) => s.end({ timeout: 1 }),
    );
    // 5,000 wide rows reach the client; the last one never comes (its backend sleeps).
    const cut = outcome(sql`
      select i, repeat('x', 100) as pad from generate_series(1, 5000) i
      union all select -1, (select repeat('x', 100) from pg_sleep(3600))`);
    for (;;) {
      const [row] = await admin<{ sleeping: boolean }[]>`
        select exists (select 1 from pg_stat_activity
                       where application_name = ${name} and wait_event = 'PgSleep') as sleeping`;
      if (row?.sleeping) break;
    }
    expect(await terminateAll(admin, name)).toBe(1);
    expect(await cut).toBe("connection-error");
    // Unpatched, the reconnected connection kept counting rows from where the lost result
    // stopped: this answer came back as thousands of empty slots and then the row.
    const next = await sql`select 42 as answer`;
    expect(next).toHaveLength(1);
    expect([...next]).toEqual([{ answer: 42 }]);
  }, 30_000);

  it("ends a client whose connection is reset as it says goodbye, with no timeout given", async () => {
    // A loopback proxy to the server that answers the client's Terminate message with a reset:
    // the socket errors before it closes, and end() must still resolve.
    const target = new URL(url);
    const proxy = net.createServer((client) => {
      const server = net.connect(Number(target.port || 5432), target.hostname);
      server.on("error", () => client.destroy());
      client.on("error", () => server.destroy());
      server.pipe(client);
      client.on("data", (chunk: Buffer) => {
        if (chunk[0] === 0x58 /* X: Terminate */) {
          server.destroy();
          client.resetAndDestroy();
        } else server.write(chunk);
      });
    });
    closers.add(proxy, (p) => new Promise<void>((resolve) => p.close(() => resolve())));
    await new Promise<void>((resolve) => proxy.listen(0, "127.0.0.1", resolve));
    const port = (proxy.address() as net.AddressInfo).port;
    const viaProxy = new URL(url);
    viaProxy.host = `127.0.0.1:${port}`;
    const sql = postgres(viaProxy.toString(), { max: 1, fetch_types: false, onnotice: () => {} });
    expect(await outcome(sql`select 1`)).toBe("ok");
    await sql.end(); // hung forever with the first patch: the test times out
  }, 30_000);

  it("commits a transaction once when its backends are ended while it is open", async () => {
    const { store, schema, name } = await storeWithEffects();
    let held = 0;
    let release: () => void = () => {};
    let gate: Promise<void> | undefined = new Promise<void>((resolve) => (release = resolve));
    const record = transaction.withContext("record", async ({ workflowId }, tx, what: string) => {
      if (gate) {
        held++;
        await gate; // the transaction is open on its connection while the backends are ended
      }
      await run(tx, `insert into "${schema}".effects values ($1, $2)`, [workflowId, what]);
      return what;
    });
    const work = workflow("loss.held", async (ctx, n: number) => record(ctx, `n=${n}`));
    const engine = closers.add(
      createEngine({ store, workflows: [work], logger: quietLogger, shutdownGraceMs: 0 }),
      (e: Engine) => e.shutdown(),
    );
    await engine.launch();
    const handles = await Promise.all(
      Array.from({ length: 8 }, (_, i) => engine.start(work, i, { id: `h${i}` })),
    );
    while (held < 4) await new Promise((resolve) => setImmediate(resolve)); // the pool is full
    expect(await terminateAll(admin, name)).toBeGreaterThanOrEqual(4);
    gate = undefined;
    release();
    const results = await Promise.all(handles.map((handle) => handle.result()));
    expect(results).toEqual(Array.from({ length: 8 }, (_, i) => `n=${i}`));
    const effects = await admin.unsafe<{ workflow_id: string; count: number }[]>(
      `select workflow_id, count(*)::int as count from "${schema}".effects
       group by workflow_id order by workflow_id`,
    );
    expect(effects).toEqual(
      Array.from({ length: 8 }, (_, i) => ({ workflow_id: `h${i}`, count: 1 })),
    );
  }, 60_000);

  it("keeps an engine working: workflows started after its backends were ended complete", async () => {
    const { store, schema, name } = await storeWithEffects();
    const record = transaction.withContext("record", async ({ workflowId }, tx, what: string) => {
      await run(tx, `insert into "${schema}".effects values ($1, $2)`, [workflowId, what]);
      return what;
    });
    const double = step("double", async (n: number) => n * 2);
    const work = workflow("loss.work", async (ctx, n: number) => {
      const twice = await double(ctx, n);
      await record(ctx, `n=${twice}`);
      return twice;
    });
    const engine = closers.add(
      createEngine({ store, workflows: [work], logger: quietLogger, shutdownGraceMs: 0 }),
      (e: Engine) => e.shutdown(),
    );
    await engine.launch();

    const batch = async (from: number) => {
      const handles = await Promise.all(
        Array.from({ length: 10 }, (_, i) => engine.start(work, from + i, { id: `w${from + i}` })),
      );
      return Promise.all(handles.map((handle) => handle.result()));
    };
    expect(await batch(0)).toEqual(Array.from({ length: 10 }, (_, i) => 2 * i));
    for (const from of [10, 20, 30]) {
      // Pool, heartbeat and LISTEN connections all go.
      expect(await terminateAll(admin, name)).toBeGreaterThanOrEqual(2);
      expect(await batch(from)).toEqual(Array.from({ length: 10 }, (_, i) => 2 * (from + i)));
    }
    const effects = await admin.unsafe<{ count: number }[]>(
      `select count(*)::int as count from "${schema}".effects`,
    );
    expect(effects).toEqual([{ count: 40 }]); // each transaction committed once
  }, 60_000);
});
