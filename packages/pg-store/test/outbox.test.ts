/**
 * Work started inside the caller's own transaction (the transactional outbox), on Postgres
 * (skipped without a server) and PGlite: `engine.start`, `client.start`, `send` and
 * `queue.enqueue` with `{ tx }` write with the caller's business row — a rollback leaves no
 * workflow and no message, a commit starts it. Engines here poll once a minute, so a workflow
 * that runs within the test was started by the commit's notification. Bad input and a handle of
 * the wrong kind fail before anything is written.
 */
import {
  createClient,
  createEngine,
  InvalidOptionError,
  step,
  ValidationError,
  workflow,
  type Engine,
  type WorkflowStore,
} from "@cairn/core";
import { createQueues, defineQueue } from "@cairn/queue";
import { beforeEach, describe, expect, it } from "vitest";
import { z } from "zod";
import type { PgStore } from "../src/index.js";
import { createPgQueueStore } from "../src/queue/index.js";
import {
  Closers,
  databasePerTest,
  engineBackends,
  quietLogger,
  type TestDatabase,
} from "./support/engine-databases.js";

/** Only a notification explains a reaction inside a test's time. */
const POLL_MS = 60_000;

/** Which workflow bodies ran, by workflow ID. */
const ran = new Map<string, number>();
const confirm = workflow(
  { name: "outbox.confirm", input: z.object({ orderId: z.string() }) },
  async (ctx, { orderId }) => {
    ran.set(ctx.workflowId, (ran.get(ctx.workflowId) ?? 0) + 1);
    return step("confirm", () => `confirmed ${orderId}`)(ctx);
  },
);
const inbox = workflow("outbox.inbox", async (ctx) => ctx.recv("note"));
const emails = defineQueue("outbox-emails", { concurrency: 2 });

/** Thrown to roll the caller's transaction back. */
class Abort extends Error {}

for (const backend of engineBackends) {
  describe.skipIf(backend.skip)(
    `work started in the caller's transaction on ${backend.name}`,
    () => {
      let db: TestDatabase;
      let engine: Engine;
      let store: WorkflowStore;
      const closers = new Closers();
      const id = (name: string) => `${backend.name}-${name}`;
      databasePerTest(backend, closers, () => db);
      beforeEach(async () => {
        db = backend.database();
        store = db.store();
        const runtime = createQueues({
          store: createPgQueueStore(store as PgStore),
          serve: [emails],
          pollIntervalMs: POLL_MS,
        });
        engine = closers.add(
          createEngine({
            store,
            workflows: [confirm, inbox],
            plugins: [runtime],
            logger: quietLogger,
            pollIntervalMs: POLL_MS,
          }),
          (e) => e.shutdown(),
        );
        await engine.launch();
        await db.query(`create table {{schema}}.orders (id text primary key)`);
      });

      /** Inserts the business row and, in the same transaction, whatever `also` does. */
      const order = <T>(orderId: string, also: (tx: unknown) => Promise<T>, rollback = false) =>
        db.transaction(async (tx, schema) => {
          await insertOrder(tx, schema, orderId);
          const result = await also(tx);
          if (rollback) throw new Abort();
          return result;
        });
      const orders = async () =>
        (await db.query<{ id: string }>(`select id from {{schema}}.orders order by id`)).map(
          (r) => r.id,
        );

      it("starts nothing when the caller's transaction rolls back", async () => {
        const workflowId = id("rolled-back");
        await expect(
          order(
            "o1",
            (tx) => engine.start(confirm, { orderId: "o1" }, { id: workflowId, tx }),
            true,
          ),
        ).rejects.toBeInstanceOf(Abort);
        expect(await orders()).toEqual([]);
        expect(await store.getWorkflow(workflowId)).toBeUndefined();
        // The engine is idle and consistent: a workflow started after it runs normally.
        await expect(engine.run(confirm, { orderId: "o2" })).resolves.toBe("confirmed o2");
        expect(ran.get(workflowId)).toBeUndefined();
      });

      it("starts the workflow at the caller's commit, woken by its notification", async () => {
        const workflowId = id("committed");
        const handle = await order("o1", (tx) =>
          engine.start(confirm, { orderId: "o1" }, { id: workflowId, tx }),
        );
        expect(await orders()).toEqual(["o1"]);
        await expect(handle.result()).resolves.toBe("confirmed o1");
        expect(ran.get(workflowId)).toBe(1);
      });

      it("validates the input before writing, leaving the caller's transaction usable", async () => {
        const workflowId = id("invalid");
        await order("o1", async (tx) => {
          await expect(
            engine.start(confirm, { orderId: 42 } as never, { id: workflowId, tx }),
          ).rejects.toBeInstanceOf(ValidationError);
        });
        expect(await orders()).toEqual(["o1"]);
        expect(await store.getWorkflow(workflowId)).toBeUndefined();
      });

      it("refuses a tx that is not a transaction handle, writing nothing", async () => {
        const workflowId = id("not-a-tx");
        await expect(
          engine.start(confirm, { orderId: "o1" }, { id: workflowId, tx: { begin: true } }),
        ).rejects.toBeInstanceOf(InvalidOptionError);
        await expect(
          engine.run(confirm, { orderId: "o1" }, { id: workflowId, tx: {} }),
        ).rejects.toBeInstanceOf(InvalidOptionError);
        expect(await store.getWorkflow(workflowId)).toBeUndefined();
      });

      it("client.start with a tx exists only if the caller commits", async () => {
        const client = closers.add(createClient({ store: db.store(), logger: quietLogger }), (c) =>
          c.close(),
        );
        const [gone, kept] = [id("client-gone"), id("client-kept")];
        await expect(
          order(
            "o1",
            (tx) => client.start("outbox.confirm", { orderId: "o1" }, { id: gone, tx }),
            true,
          ),
        ).rejects.toBeInstanceOf(Abort);
        expect(await store.getWorkflow(gone)).toBeUndefined();
        const handle = await order("o2", (tx) =>
          client.start<typeof confirm>("outbox.confirm", { orderId: "o2" }, { id: kept, tx }),
        );
        await expect(handle.result()).resolves.toBe("confirmed o2");
        expect(await orders()).toEqual(["o2"]);
      });

      it("a message sent with a tx is delivered only if the caller commits", async () => {
        const workflowId = id("inbox");
        const handle = await engine.start(inbox, undefined, { id: workflowId });
        await expect(
          order("o1", (tx) => engine.send(workflowId, "note", "rolled back", { tx }), true),
        ).rejects.toBeInstanceOf(Abort);
        const pending = await db.query<{ n: number }>(
          `select count(*)::int as n from {{schema}}.messages where destination_id = '${workflowId}'`,
        );
        expect(pending[0]?.n).toBe(0);
        await order("o2", (tx) => handle.send("note", "committed", { tx }));
        await expect(handle.result()).resolves.toBe("committed");
      });

      it("an enqueue with a tx exists only if the caller commits, then a worker runs it", async () => {
        const [gone, kept] = [id("queued-gone"), id("queued-kept")];
        await expect(
          order(
            "o1",
            (tx) => emails.enqueue(engine, confirm, { orderId: "o1" }, { id: gone, tx }),
            true,
          ),
        ).rejects.toBeInstanceOf(Abort);
        expect(await store.getWorkflow(gone)).toBeUndefined();
        const handle = await order("o2", (tx) =>
          emails.enqueue(engine, confirm, { orderId: "o2" }, { id: kept, tx }),
        );
        await expect(handle.result()).resolves.toBe("confirmed o2");
        expect((await store.getWorkflow(kept))?.queueName).toBe("outbox-emails");
      });
    },
  );
}

/** The application's own write, through the same driver handle it passes to Cairn. */
async function insertOrder(tx: unknown, schema: string, orderId: string): Promise<void> {
  const text = `insert into "${schema}".orders (id) values ($1)`;
  if (typeof tx === "function") {
    await (tx as unknown as { unsafe(t: string, p: unknown[]): Promise<unknown> }).unsafe(text, [
      orderId,
    ]);
  } else {
    await (tx as { query(t: string, p: unknown[]): Promise<unknown> }).query(text, [orderId]);
  }
}
