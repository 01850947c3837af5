/**
 * The database goes away and comes back, through a TCP proxy on 127.0.0.1 that the test cuts
 * (the shared server keeps running for every other test file). A waiter's LISTEN comes back on
 * its own, so a notification wakes it again with polling off; an engine shut down during the
 * outage releases every handle, so its process exits by itself. How long shutdown may take is
 * proven on a fake clock in core (`shutdown.test.ts`); no test here measures time.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";
import { createClient, createEngine, workflow } from "@cairn/core";
import type postgres from "postgres";
import { afterEach, beforeAll, afterAll, describe, expect, it } from "vitest";
import { createPgStore } from "../src/index.js";
import { reconnectDelaySeconds } from "../src/pg-store.js";
import { adminSql, databaseUrl, freshSchema } from "./support/databases.js";
import { quietLogger, watched } from "./support/engine-databases.js";
import { startTcpProxy, type TcpProxy } from "./support/tcp-proxy.js";

/** Slower than any test may run: only a notification can wake a waiter. */
const NEVER_POLL_MS = 10 * 60_000;

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe("reconnecting after an outage", () => {
  it("never waits more than a second between two attempts to reconnect", () => {
    const delays = Array.from({ length: 60 }, (_, retries) => reconnectDelaySeconds(retries));
    expect(Math.max(...delays)).toBeLessThanOrEqual(1);
    expect(delays[1]).toBeLessThan(0.1); // the first retry is quick
  });
});

describe.skipIf(!databaseUrl)("the database goes away and comes back", () => {
  let admin: postgres.Sql;
  let proxy: TcpProxy;
  let schema: string;
  beforeAll(() => {
    admin = adminSql();
  });
  afterAll(() => admin.end());
  afterEach(async () => {
    await proxy.close();
    await admin.unsafe(`drop schema if exists "${schema}" cascade`);
  });
  const setUp = async () => {
    proxy = await startTcpProxy(databaseUrl ?? "");
    schema = freshSchema(admin).schema;
  };

  it("wakes a waiting recv by notification after the outage, with polling off", async () => {
    await setUp();
    const inbox = workflow("outage.inbox", async (ctx) => ctx.recv("ping"));
    const through = watched(createPgStore({ url: proxy.url, schema, max: 4 }));
    await through.store.migrate();
    const engine = createEngine({
      store: through.store,
      workflows: [inbox],
      logger: quietLogger,
      pollIntervalMs: NEVER_POLL_MS,
    });
    cleanups.push(() => engine.shutdown());
    await engine.launch();
    const waiting = through.lookedAndWaits("consumeMessage");
    const handle = await engine.start(inbox, undefined, { id: "inbox" });
    await waiting; // the recv found nothing and waits for a notification

    await proxy.cut();
    await pause(3_000); // an outage long enough for reconnect attempts to back off
    await proxy.restore();

    // A sender that never went through the proxy. Notifications sent before LISTEN is back are
    // lost (Postgres keeps none for a listener that is not there), so it sends until one lands.
    const senderStore = createPgStore({ url: databaseUrl, schema, max: 1 });
    const sender = createClient({ store: senderStore, logger: quietLogger });
    cleanups.push(() => sender.close());
    const result = handle.result();
    let received = false;
    void result.finally(() => (received = true));
    for (let sent = 0; !received; sent++) {
      await sender.send("inbox", "ping", sent);
      await Promise.race([result, pause(200)]);
    }
    expect(typeof (await result)).toBe("number"); // one of the messages, woken by its NOTIFY
  });

  it("shuts an engine down during the outage so that its process exits by itself", async () => {
    await setUp();
    const child = startWorker(proxy.url, schema);
    await child.said("running");
    await proxy.cut();
    child.process.stdin?.write("shutdown\n");
    await child.said("shut down");
    await proxy.restore(); // the database comes back: nothing may reconnect now
    await expect(child.exited).resolves.toEqual({ code: 0, signal: null });
  });

  it("loses a connection during its very first query without an unhandled rejection", async () => {
    // A Postgres restart can break a connection the moment it opened. postgres.js's type query on
    // a new connection left that failure as an unhandled rejection, which ends a Node process.
    proxy = await startTcpProxy(databaseUrl ?? "", { breakFirstQueries: 1 });
    schema = freshSchema(admin).schema;
    const unhandled: unknown[] = [];
    const record = (reason: unknown) => unhandled.push(reason);
    process.on("unhandledRejection", record);
    cleanups.push(() => process.off("unhandledRejection", record));
    const store = createPgStore({ url: proxy.url, schema, max: 1 });
    cleanups.push(() => store.close());
    // The first connection breaks at its first query; the call may fail with it, a retry may not.
    await store.migrate().catch(() => undefined);
    await store.migrate();
    await new Promise((resolve) => setImmediate(resolve)); // any rejection left has been reported
    expect(proxy.broken).toBe(1);
    expect(unhandled).toEqual([]);
  });
});

function startWorker(url: string, schema: string) {
  const tsx = createRequire(import.meta.url).resolve("tsx");
  const script = fileURLToPath(new URL("./support/outage-shutdown-worker.ts", import.meta.url));
  const child: ChildProcess = spawn(process.execPath, ["--import", tsx, script, url, schema], {
    stdio: ["pipe", "pipe", "inherit"],
  });
  cleanups.push(() => child.kill("SIGKILL"));
  let output = "";
  child.stdout?.on("data", (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once("exit", (code, signal) => resolve({ code, signal })),
  );
  const said = (line: string) =>
    new Promise<void>((resolve, reject) => {
      const check = () => {
        if (output.split("\n").includes(line)) return resolve();
        if (child.exitCode !== null) return reject(new Error(`worker exited: ${output}`));
        setTimeout(check, 20);
      };
      check();
    });
  return { process: child, exited, said };
}
