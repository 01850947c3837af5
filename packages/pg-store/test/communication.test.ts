/**
 * Messages, events and streams through a real engine on Postgres (skipped without a server) and
 * on PGlite: a message sent before `recv` is kept for it; waiters wake on the store's
 * notification (LISTEN/NOTIFY on Postgres, in process on PGlite) — every engine and client here
 * polls less often than a test may run, so a wake-up at all can only come from a notification; typed channels refuse a bad message before anything is stored; events keep the
 * last write; streams read to their end and resume from an offset; deadlines are checkpointed.
 * Senders and readers use their own store (their own connection), as another process would.
 */
import {
  createClient,
  createEngine,
  step,
  ValidationError,
  workflow,
  type AnyWorkflow,
  type Client,
  type Engine,
  type WorkflowStore,
} from "@cairn/core";
import { beforeEach, describe, expect, it } from "vitest";
import { z } from "zod";
import {
  Closers,
  databasePerTest,
  engineBackends,
  quietLogger,
  type TestDatabase,
  watched,
} from "./support/engine-databases.js";

/**
 * Polling slower than the test timeout (60 s): a waiter that wakes before its test times out was
 * woken by a notification. No test measures how fast (speed is `pnpm bench`'s job).
 */
const POLL_MS = 10 * 60_000;

/** A promise a step waits on until the test opens it. */
function gate(): { wait: Promise<void>; open: () => void } {
  let open!: () => void;
  const wait = new Promise<void>((resolve) => (open = resolve));
  return { wait, open };
}

const approval = workflow(
  {
    name: "comm.approval",
    channels: {
      messages: { decision: z.object({ approved: z.boolean(), by: z.string() }) },
      events: { status: z.enum(["waiting", "approved", "rejected"]) },
      streams: { log: z.string() },
    },
  },
  async (ctx, request: string) => {
    await ctx.setEvent("status", "waiting");
    await ctx.writeStream("log", `asked for ${request}`);
    const decision = await ctx.recv("decision");
    await ctx.setEvent("status", decision?.approved ? "approved" : "rejected");
    await ctx.writeStream("log", `decided by ${decision?.by ?? "nobody"}`);
    await ctx.closeStream("log");
    return decision?.approved ?? false;
  },
);

/** Receives one message. */
const inbox = workflow("comm.inbox", async (ctx) => ({ message: await ctx.recv("ping") }));

const opened = new Map<string, ReturnType<typeof gate>>();
const held = step("held", async (key: string) => opened.get(key)?.wait);
/** Reaches recv only once the test opens its gate. */
const lateReader = workflow("comm.late-reader", async (ctx, key: string) => {
  await held(ctx, key);
  return [await ctx.recv("note"), await ctx.recv("note", { timeoutMs: 50 })];
});

/** Sets an event after a message tells it to. */
const announcer = workflow("comm.announcer", async (ctx) => {
  const value = await ctx.recv("go");
  await ctx.setEvent("announced", value);
});

/** Writes a stream entry per message until told to stop. */
const writer = workflow("comm.writer", async (ctx) => {
  await ctx.writeStream("out", "first");
  for (;;) {
    const next = await ctx.recv("next");
    if (next === "stop") break;
    await ctx.writeStream("out", next);
  }
  await ctx.closeStream("out");
});

/** Sets one event three times. */
const flipper = workflow("comm.flipper", async (ctx) => {
  for (const value of ["one", "two", "three"]) await ctx.setEvent("current", value);
});

/** Waits for a message that never comes. */
const patient = workflow("comm.patient", async (ctx) => ctx.recv("never", { timeoutMs: 100 }));

/** Takes every message on a topic until a short wait finds none. */
const drain = workflow("comm.drain", async (ctx) => {
  const got: unknown[] = [];
  for (;;) {
    const message = await ctx.recv("m", { timeoutMs: got.length === 0 ? "1m" : 100 });
    if (message === undefined) return got;
    got.push(message);
  }
});

/** Races a reply against a timer. */
const racer = workflow("comm.racer", async (ctx) =>
  ctx.race({ reply: { message: "reply" }, timeout: { timer: "1h" } }),
);

const all: AnyWorkflow[] = [approval, inbox, lateReader, announcer, writer, flipper, patient];
all.push(drain, racer);

for (const backend of engineBackends) {
  describe.skipIf(backend.skip)(`messages, events and streams on ${backend.name}`, () => {
    let db: TestDatabase;
    const closers = new Closers();
    databasePerTest(backend, closers, () => db);
    beforeEach(() => {
      db = backend.database();
    });

    /** A launched engine on this test's database, on `store` (default: a new one). */
    const launch = async (store: WorkflowStore = db.store()) => {
      const engine = createEngine({
        store,
        workflows: all,
        logger: quietLogger,
        pollIntervalMs: POLL_MS,
        shutdownGraceMs: 0,
      });
      closers.add(engine, (e: Engine) => e.shutdown());
      await engine.launch();
      return engine;
    };
    const client = (store: WorkflowStore = db.store()): Client =>
      closers.add(
        createClient({ store, logger: quietLogger, pollIntervalMs: POLL_MS }),
        (c: Client) => c.close(),
      );

    it("keeps a message sent before the workflow reaches recv, and delivers it once", async () => {
      const engine = await launch();
      const go = gate();
      opened.set(`${backend.name}-late`, go);
      const handle = await engine.start(lateReader, `${backend.name}-late`, { id: "late" });
      await client().send("late", "note", "left for later");
      const waiting = await db.query<{ consumed_at: unknown }>(
        "select consumed_at from {{schema}}.messages where destination_id = 'late'",
      );
      expect(waiting).toEqual([{ consumed_at: null }]);

      go.open();
      await expect(handle.result()).resolves.toEqual(["left for later", undefined]);
      const left = await db.query<{ n: number }>(
        "select count(*)::int as n from {{schema}}.messages where consumed_at is null",
      );
      expect(left).toEqual([{ n: 0 }]);
    });

    it("wakes a waiting recv on the notification of a send from another connection", async () => {
      const engineStore = watched(db.store());
      const engine = await launch(engineStore.store);
      const sender = client();
      const waiting = engineStore.lookedAndWaits("consumeMessage");
      const handle = await engine.start(inbox, undefined, { id: "inbox" });
      await waiting;

      await sender.send("inbox", "ping", "hello");
      const { message } = await handle.result();

      expect(message).toBe("hello");
    });

    it("wakes an outside getEvent waiter when the event is set", async () => {
      const engine = await launch();
      await engine.start(announcer, undefined, { id: "announcer" });
      const readerStore = watched(db.store());
      const reader = client(readerStore.store);
      const looked = readerStore.lookedAndWaits("getEvent");
      const reading = reader.getEvent("announcer", "announced", { timeoutMs: 30_000 });
      await looked;

      await engine.send("announcer", "go", "it is done");
      await expect(reading).resolves.toBe("it is done");
    });

    it("wakes a stream reader on each entry, reads to the end, and resumes from an offset", async () => {
      const engine = await launch();
      await engine.start(writer, undefined, { id: "writer" });
      const readerStore = watched(db.store());
      const stream = client(readerStore.store).readStream("writer", "out");

      await expect(stream.next()).resolves.toEqual({ value: "first", done: false });
      const waiting = readerStore.lookedAndWaits("getWorkflow");
      const second = stream.next();
      await waiting;
      await engine.send("writer", "next", "second");
      await expect(second).resolves.toEqual({ value: "second", done: false });

      await engine.send("writer", "next", "third");
      await engine.send("writer", "next", "stop");
      const rest: unknown[] = [];
      for await (const value of stream) rest.push(value);
      expect(rest).toEqual(["third"]);
      await engine.retrieve("writer").result();

      const resumed: unknown[] = [];
      for await (const value of engine.readStream("writer", "out", { offset: 1 })) {
        resumed.push(value);
      }
      expect(resumed).toEqual(["second", "third"]);
    });

    it("rejects an invalid message on a typed channel at send and stores nothing", async () => {
      const engine = await launch();
      const handle = await engine.start(approval, "a laptop", { id: "approval" });
      const error = await handle
        // @ts-expect-error approved must be a boolean
        .send("decision", { approved: "yes", by: "ann" })
        .catch((e: unknown) => e);

      expect(error).toBeInstanceOf(ValidationError);
      expect(await db.query("select * from {{schema}}.messages")).toEqual([]);

      await expect(handle.getEvent("status", { timeoutMs: 10_000 })).resolves.toBe("waiting");
      await handle.send("decision", { approved: true, by: "ann" });
      await expect(handle.result()).resolves.toBe(true);
      await expect(handle.getEvent("status")).resolves.toBe("approved");
      const log: string[] = [];
      for await (const line of handle.readStream("log")) log.push(line);
      expect(log).toEqual(["asked for a laptop", "decided by ann"]);
    });

    it("keeps the last write of an event", async () => {
      const engine = await launch();
      await engine.run(flipper, undefined, { id: "flipper" });

      await expect(client().getEvent("flipper", "current")).resolves.toBe("three");
      const rows = await db.query<{ n: number }>(
        "select count(*)::int as n from {{schema}}.events where workflow_id = 'flipper'",
      );
      expect(rows).toEqual([{ n: 1 }]);
    });

    it("returns undefined from getEvent for an event never set, after its timeout", async () => {
      await launch();
      await expect(client().getEvent("nobody", "nothing", { timeoutMs: 50 })).resolves.toBe(
        undefined,
      );
    });

    it("consumes messages oldest first, each once, and an idempotent send once", async () => {
      const engine = await launch();
      const sender = client();
      const handle = await engine.start(drain, undefined, { id: "drain" });
      await sender.send("drain", "m", 1, { idempotencyKey: "one" });
      await sender.send("drain", "m", 1, { idempotencyKey: "one" });
      await sender.send("drain", "m", 2);
      await sender.send("drain", "m", 3);

      await expect(handle.result()).resolves.toEqual([1, 2, 3]);
      const rows = await db.query<{ n: number }>(
        "select count(*)::int as n from {{schema}}.messages where consumed_at is not null",
      );
      expect(rows).toEqual([{ n: 3 }]);
    });

    it("times a recv out at the deadline it checkpointed", async () => {
      const engine = await launch();
      // The deadline is the engine's clock, which is this process's: compare with nothing else
      // (the database's timestamps are another clock).
      const before = Date.now();
      await expect(engine.run(patient, undefined, { id: "patient" })).resolves.toBeUndefined();
      const after = Date.now();

      const steps = await engine.listSteps("patient");
      expect(steps.map((s) => s.name)).toEqual(["cairn.recv.deadline", "cairn.recv"]);
      const deadline = steps[0]?.output as number;
      expect(deadline).toBeGreaterThanOrEqual(before + 100); // taken when the wait began
      expect(deadline).toBeLessThanOrEqual(after); // and the wait did not end before it
    });

    it("records a race won by a message, consuming only that message", async () => {
      const engine = await launch();
      const handle = await engine.start(racer, undefined, { id: "racer" });
      await client().send("racer", "reply", "pong");

      await expect(handle.result()).resolves.toEqual({ key: "reply", value: "pong" });
      const names = (await engine.listSteps("racer")).map((s) => s.name);
      expect(names).toEqual(["cairn.race.start", "cairn.race#reply"]);
    });

    it("refuses a send to a workflow that does not exist", async () => {
      await launch();
      await expect(client().send("ghost", "t", 1)).rejects.toMatchObject({
        name: "WorkflowNotFoundError",
      });
      expect(await db.query("select * from {{schema}}.messages")).toEqual([]);
    });
  });
}
