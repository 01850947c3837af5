/**
 * LISTEN/NOTIFY as the store uses it: one channel per schema, a compact JSON payload sent by the
 * writing statement itself, nothing on the hot paths, nothing for writes that changed nothing,
 * and delivery to a store on another connection (as another process would be).
 */
import type { StepRecord, StoreNotification } from "@cairn/core";
import type { PGlite } from "@electric-sql/pglite";
import postgres from "postgres";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createPgStore, createPgliteStore, type PgStore } from "../src/index.js";
import { channelName } from "../src/schema-names.js";
import { adminSql, databaseUrl, freshSchema, openSharedPglite } from "./support/databases.js";

const stepAt = (workflowId: string, position: number): StepRecord => ({
  workflowId,
  position,
  name: `step-${position}`,
  output: "1",
  error: undefined,
  childWorkflowId: undefined,
  attempts: 1,
  startedAt: 1_700_000_000_000,
  completedAt: 1_700_000_000_001,
});

const newWorkflow = (workflowId: string, notify?: boolean) => ({
  workflowId,
  name: "n",
  input: "1",
  executorId: "e",
  ...(notify === undefined ? {} : { notify }),
});

/** Resolves with the first value `matches` accepts, or rejects after `ms`. */
function waitFor<T>(
  subscribe: (push: (value: T) => void) => void,
  matches: (value: T) => boolean,
  ms = 5_000,
): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`nothing matching within ${ms} ms`)), ms);
    subscribe((value) => {
      if (!matches(value)) return;
      clearTimeout(timer);
      resolve(value);
    });
  });
}

describe("channel names", () => {
  it("is cairn_<schema> while that fits in 63 bytes", () => {
    expect(channelName("cairn")).toBe("cairn_cairn");
    expect(channelName("Tenant_42")).toBe("cairn_Tenant_42");
    expect(channelName("x".repeat(57))).toBe(`cairn_${"x".repeat(57)}`);
  });

  it("keeps long schema names apart within 63 bytes", () => {
    const a = channelName(`${"x".repeat(60)}_a`);
    const b = channelName(`${"x".repeat(60)}_b`);
    expect(a.length).toBeLessThanOrEqual(63);
    expect(a).not.toBe(b);
    expect(a).toMatch(/^cairn_x+_[0-9a-f]{8}$/);
  });
});

describe.skipIf(!databaseUrl)("notifications on Postgres", () => {
  let admin: postgres.Sql;
  let listener: postgres.Sql;
  let writer: PgStore;
  let reader: PgStore;
  let drop: () => Promise<void>;
  let payloads: string[] = [];
  let pushPayload: ((payload: string) => void) | undefined;

  beforeAll(() => {
    admin = adminSql();
  });
  afterAll(() => admin.end());

  beforeEach(async () => {
    const fresh = freshSchema(admin);
    drop = fresh.drop;
    writer = createPgStore({ url: databaseUrl, schema: fresh.schema, max: 2 });
    reader = createPgStore({ url: databaseUrl, schema: fresh.schema, max: 1 });
    await writer.migrate();
    payloads = [];
    listener = postgres(databaseUrl ?? "", { max: 1, onnotice: () => {} });
    await listener.listen(channelName(fresh.schema), (payload) => {
      payloads.push(payload);
      pushPayload?.(payload);
    });
  });
  afterEach(async () => {
    await Promise.all([writer.close(), reader.close(), listener.end()]);
    await drop();
  });

  /** Waits for a raw payload on the schema's channel. */
  const payload = (matches: (p: string) => boolean) =>
    waitFor<string>((push) => {
      pushPayload = push;
      for (const p of payloads) push(p);
    }, matches);

  it("delivers a write made on one connection to a subscriber on another", async () => {
    const received: StoreNotification[] = [];
    let push: ((n: StoreNotification) => void) | undefined;
    const stop = await reader.subscribe((n) => {
      received.push(n);
      push?.(n);
    });
    await writer.createWorkflow(newWorkflow("wf"));
    await writer.sendMessage({ destinationId: "wf", topic: "t", message: "1", messageId: "m" });
    const got = await waitFor<StoreNotification>(
      (p) => {
        push = p;
        for (const n of received) p(n);
      },
      (n) => n.kind === "message",
    );
    expect(got).toEqual({ kind: "message", workflowId: "wf", topic: "t" });
    await stop();
  });

  it("sends compact JSON arrays on cairn_<schema>", async () => {
    await writer.createWorkflow(newWorkflow("wf"));
    await writer.sendMessage({ destinationId: "wf", topic: "t", message: "1", messageId: "m" });
    await writer.setEvent({ workflowId: "wf", key: "k", value: "1" });
    await writer.writeStream(
      { workflowId: "wf", key: "s", value: "1", closed: false },
      stepAt("wf", 0),
    );
    await writer.cancelWorkflow("wf", { children: false });
    await payload((p) => p.includes("CANCELLED"));
    expect(payloads).toEqual([
      '["message","wf","t"]',
      '["event","wf","k"]',
      '["stream","wf","s"]',
      '["status","wf","CANCELLED","e"]',
    ]);
  });

  it("sends nothing for checkpoints and creates without notify; an outcome sends its status", async () => {
    await writer.createWorkflow(newWorkflow("quiet"));
    await writer.createWorkflow(newWorkflow("quiet-too", false));
    await writer.recordStep(stepAt("quiet", 0));
    await writer.finishWorkflow({
      workflowId: "quiet",
      executorId: "e",
      status: "SUCCESS",
      output: "1",
    });
    await writer.createWorkflow(newWorkflow("loud", true));
    // Notifications arrive in commit order: once the marker is here, anything earlier would be.
    await payload((p) => p.includes("loud"));
    expect(payloads).toEqual([
      '["status","quiet","SUCCESS","e"]',
      '["status","loud","PENDING","e"]',
    ]);
  });

  it("sends nothing for writes that changed nothing", async () => {
    await writer.createWorkflow(newWorkflow("wf"));
    const message = { destinationId: "wf", topic: "t", message: "1", messageId: "m" };
    await writer.sendMessage(message);
    await writer.sendMessage(message); // duplicate
    await writer.sendMessage({ ...message, destinationId: "nope", messageId: "m2" });
    const entry = { workflowId: "wf", key: "s", value: "1", closed: false };
    await writer.writeStream(entry, stepAt("wf", 0));
    await writer.writeStream(entry, stepAt("wf", 0)); // replayed
    await writer.createWorkflow(newWorkflow("wf", true)); // taken
    await writer.resumeWorkflow("wf", "e"); // PENDING: unchanged
    await writer.cancelWorkflow("nope", { children: true });
    await writer.setEvent({ workflowId: "wf", key: "marker", value: "1" });
    await payload((p) => p.includes("marker"));
    expect(payloads).toEqual([
      '["message","wf","t"]',
      '["stream","wf","s"]',
      '["event","wf","marker"]',
    ]);
  });

  it("still writes when IDs are too long for a payload, and notifies with them cut short", async () => {
    const long = "w".repeat(9_000);
    await writer.createWorkflow(newWorkflow(long));
    expect(
      await writer.sendMessage({ destinationId: long, topic: "t", message: "1", messageId: "m" }),
    ).toBe("sent");
    const [kind, workflowId] = JSON.parse(await payload((p) => p.includes("message"))) as string[];
    expect(kind).toBe("message");
    expect(workflowId).toBe("w".repeat(200));
  });

  it("stops a borrowed client's LISTEN when the store closes", async () => {
    const client = postgres(databaseUrl ?? "", { max: 1, onnotice: () => {} });
    const store = createPgStore({ sql: client, schema: writer.schema });
    let calls = 0;
    await store.subscribe(() => calls++);
    await store.close();
    await writer.createWorkflow(newWorkflow("wf"));
    await writer.setEvent({ workflowId: "wf", key: "k", value: "1" });
    await payload((p) => p.includes('"k"'));
    expect(calls).toBe(0);
    await client.end();
  });
});

describe("notifications on PGlite", () => {
  let shared: { db: PGlite; close: () => Promise<void> };
  beforeAll(async () => {
    shared = await openSharedPglite();
  });
  afterAll(() => shared.close());

  it("delivers in process, also for a schema name with capitals", async () => {
    const schema = `Tenant_${Math.random().toString(36).slice(2, 8)}`;
    const store = createPgliteStore({ db: shared.db, schema });
    await store.migrate();
    const received: StoreNotification[] = [];
    let push: ((n: StoreNotification) => void) | undefined;
    const stop = await store.subscribe((n) => {
      received.push(n);
      push?.(n);
    });
    await store.createWorkflow(newWorkflow("wf", true));
    const got = await waitFor<StoreNotification>(
      (p) => {
        push = p;
        for (const n of received) p(n);
      },
      (n) => n.kind === "status",
    );
    expect(got).toEqual({ kind: "status", workflowId: "wf", status: "PENDING", executorId: "e" });
    await stop();
    await store.close();
    await shared.db.exec(`drop schema "${schema}" cascade`);
  });
});
