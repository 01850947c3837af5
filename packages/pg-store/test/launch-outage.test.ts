/**
 * A subscription whose LISTEN failed during an outage. postgres.js keeps its listener and sends
 * the LISTEN again once the database is back, so without a gate of its own that listener would
 * deliver notifications to an engine whose launch failed (one that never heartbeated). Through a
 * TCP proxy on 127.0.0.1 that the test cuts; the shared server keeps running.
 */
import { UNASSIGNED_EXECUTOR, type StoreNotification } from "@cairn/core";
import type postgres from "postgres";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { createPgStore } from "../src/index.js";
import { adminSql, databaseUrl, freshSchema } from "./support/databases.js";
import { startTcpProxy, type TcpProxy } from "./support/tcp-proxy.js";

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe.skipIf(!databaseUrl)("a LISTEN that failed during an outage", () => {
  let admin: postgres.Sql;
  let proxy: TcpProxy;
  let schema: { schema: string; drop: () => Promise<void> };
  const closers: (() => Promise<void>)[] = [];
  beforeAll(() => {
    admin = adminSql();
  });
  afterAll(() => admin.end());
  afterEach(async () => {
    for (const close of closers.splice(0).reverse()) await close();
    await proxy.close();
    await schema.drop();
  });

  it("delivers nothing once the database is back, while a later subscription hears", async () => {
    proxy = await startTcpProxy(databaseUrl ?? "");
    schema = freshSchema(admin);
    const store = createPgStore({ url: proxy.url, schema: schema.schema, max: 2 });
    closers.push(() => store.close());
    await store.migrate();
    await proxy.cut();
    const failedHeard: StoreNotification[] = [];
    await expect(store.subscribe((n) => failedHeard.push(n))).rejects.toThrow();
    await proxy.restore();

    const heard: StoreNotification[] = [];
    let stop: (() => Promise<void>) | undefined;
    while (!stop) {
      // postgres.js listens again after its backoff; until then a subscription fails.
      stop = await store
        .subscribe((n) => heard.push(n))
        .catch(() => pause(50).then(() => undefined));
    }
    closers.push(() => stop?.() ?? Promise.resolve());
    const other = createPgStore({ url: databaseUrl, schema: schema.schema, max: 1 });
    closers.push(() => other.close());
    for (let i = 0; heard.length === 0; i++) {
      await other.createWorkflow({
        workflowId: `u${i}`,
        name: "job",
        input: "-1",
        executorId: UNASSIGNED_EXECUTOR,
        notify: true,
      });
      await pause(50);
    }
    // Both listeners are called for one notification, the failed one first.
    expect(failedHeard).toEqual([]);
  });
});
