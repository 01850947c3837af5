/**
 * Suspension of sleeping workflows (decision 0014) on Postgres and PGlite: a sleep past the
 * engine's `suspendAfterMs` leaves the process (the run ends, the row holds the due time under
 * the owner's epoch), wakes by replay when the virtual clock reaches it, and survives a shutdown:
 * the next engine's recovery claim moves it suspended (no replay) and it wakes when due.
 */
import {
  createEngine,
  workflow,
  type AnyWorkflow,
  type Engine,
  type LifecycleEvent,
  type WorkflowStore,
} from "@cairn/core";
import { createVirtualClock, type VirtualClock } from "@cairn/core/testing";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import {
  Closers,
  engineBackends,
  quietLogger,
  type TestDatabase,
} from "./support/engine-databases.js";

const bodies: string[] = [];
const nap = workflow("suspend.nap", async (ctx, name: string) => {
  bodies.push(name);
  const before = await ctx.now();
  await ctx.sleep("1h");
  return { name, sleptMs: (await ctx.now()) - before };
});
const inbox = workflow("suspend.inbox", async (ctx) => {
  bodies.push("inbox");
  return ctx.recv<string>("go");
});
const parent = workflow("suspend.parent", async (ctx) => ({ child: await inbox(ctx, undefined) }));
/** Waits awaited together: a recv, a sleep and a child's result, and a child with a timeout. */
const together = workflow("suspend.together", async (ctx) => {
  bodies.push("together");
  const child = await ctx.start(inbox, undefined, { id: `${ctx.workflowId}:kid` });
  const [message, , result] = await Promise.all([
    ctx.recv<string>("go"),
    ctx.sleep("1h"),
    child.result(),
  ]);
  return { message, result };
});
const timed = workflow("suspend.timed", async (ctx) => {
  const child = await ctx.start(inbox, undefined, { id: `${ctx.workflowId}:kid` });
  return child.result({ timeoutMs: "1h" }).catch((error: Error) => error.name);
});
/** The engine the race below reads a handle from (set by the test that runs it). */
let engineOfRace: Engine | undefined;
const raceLater = workflow("suspend.race-later", async (ctx) => {
  const handle = engineOfRace?.retrieve("later-1");
  if (!handle) throw new Error("no engine");
  return (await ctx.race({ other: handle, timeout: { timer: "2h" } })).key;
});
const quick = workflow("suspend.quick", () => Promise.resolve("done"));
const all: AnyWorkflow[] = [nap, inbox, parent, together, timed, raceLater, quick];

/** Polls `condition` until it holds; the test's timeout bounds it. */
async function until(condition: () => boolean | Promise<boolean>): Promise<void> {
  while (!(await condition())) await new Promise((resolve) => setTimeout(resolve, 10));
}

const suspendedIds = (events: LifecycleEvent[]) =>
  events.flatMap((e) => (e.type === "workflow.suspended" ? [e.run.workflowId] : []));

interface SuspensionRow extends Record<string, unknown> {
  suspended: boolean;
}

for (const backend of engineBackends) {
  describe.skipIf(backend.skip)(`suspension on ${backend.name}`, () => {
    let db: TestDatabase;
    const closers = new Closers();
    beforeAll(() => backend.open());
    afterAll(() => backend.close());
    beforeEach(() => {
      db = backend.database();
      bodies.length = 0;
    });
    afterEach(async () => {
      await closers.closeAll();
      await db.drop();
    });

    const launch = async (
      clock: VirtualClock,
      store: WorkflowStore,
      executorId = "exec-a",
      pollIntervalMs?: number,
    ) => {
      const events: LifecycleEvent[] = [];
      const engine = createEngine({
        store,
        workflows: all,
        clock,
        executorId,
        ...(pollIntervalMs === undefined ? {} : { pollIntervalMs }),
        suspendAfterMs: 0,
        logger: quietLogger,
        shutdownGraceMs: 0,
        observers: [{ onEvent: (event) => void events.push(event) }],
      });
      closers.add(engine, (e: Engine) => e.shutdown());
      const report = await engine.launch();
      return { engine, events, report };
    };
    const suspended = async (id: string) =>
      (
        await db.query<SuspensionRow>(
          `select wake_epoch is not distinct from owner_epoch as suspended
           from {{schema}}.workflows where workflow_id = '${id}'`,
        )
      )[0]?.suspended;

    it("suspends a sleeper, keeps its due time in the row, and wakes it by replay", async () => {
      const clock = createVirtualClock(Date.UTC(2026, 0, 1));
      const { engine, events } = await launch(clock, db.store());
      const handle = await engine.start(nap, "ada", { id: "nap-1" });
      await until(() => suspendedIds(events).includes("nap-1"));
      expect(await suspended("nap-1")).toBe(true);
      expect(clock.sleeping).toBe(1); // the engine's one wake-up timer
      await clock.advance("59m");
      expect((await handle.status()).status).toBe("PENDING");
      await clock.advance("1m");
      expect(await handle.result()).toEqual({ name: "ada", sleptMs: 3_600_000 });
      expect(bodies).toEqual(["ada", "ada"]);
      expect(await suspended("nap-1")).toBe(false);
    });

    it("stays suspended through a shutdown, not replayed, and wakes once when due", async () => {
      const clock = createVirtualClock(Date.UTC(2026, 0, 1));
      const first = await launch(clock, db.store());
      await first.engine.start(nap, "bo", { id: "nap-2" });
      await until(() => suspendedIds(first.events).includes("nap-2"));
      await first.engine.shutdown();
      const second = await launch(clock, db.store());
      // The claim moved it at a new epoch, still suspended: nothing replays before it is due.
      expect(second.report.recovered).toEqual([]);
      expect(await suspended("nap-2")).toBe(true);
      await clock.advance("1h");
      expect(await second.engine.retrieve("nap-2").result()).toEqual({
        name: "bo",
        sleptMs: 3_600_000,
      });
      // Started, woken: two runs of the body, one outcome.
      expect(bodies).toEqual(["bo", "bo"]);
    });

    it("wakes a suspended recv and the parent awaiting it on the store's notifications", async () => {
      const clock = createVirtualClock(Date.UTC(2026, 0, 1));
      // A poll too slow to matter: only the `wake` notifications can bring them back in time.
      const waiting = await launch(clock, db.store(), "exec-a", 3_600_000);
      const sender = await launch(clock, db.store(), "exec-b", 3_600_000);
      const handle = await waiting.engine.start(parent, undefined, { id: "parent-1" });
      await until(() => suspendedIds(waiting.events).length === 2);
      expect(await suspended("parent-1")).toBe(true);
      expect(await suspended("parent-1:0")).toBe(true);
      await sender.engine.retrieve("parent-1:0").send("go", "hello");
      expect(await handle.result()).toEqual({ child: "hello" });
      expect(bodies).toEqual(["inbox", "inbox"]);
      expect(await suspended("parent-1")).toBe(false);
    });

    it("suspends waits awaited together and wakes for each arrival and the due time", async () => {
      const clock = createVirtualClock(Date.UTC(2026, 0, 1));
      const { engine, events } = await launch(clock, db.store(), "exec-a", 3_600_000);
      const handle = await engine.start(together, undefined, { id: "tg" });
      const times = () => suspendedIds(events).filter((id) => id === "tg").length;
      await until(() => times() === 1 && suspendedIds(events).includes("tg:kid"));
      expect(await suspended("tg")).toBe(true);
      await handle.send("go", "hello"); // wakes it; the sleep and the child still wait
      await until(() => times() === 2);
      await clock.advance("1h"); // wakes it; the child still waits
      await until(() => times() === 3);
      expect(await suspended("tg")).toBe(true);
      await engine.retrieve("tg:kid").send("go", "from the child");
      expect(await handle.result()).toEqual({ message: "hello", result: "from the child" });
      expect(bodies.filter((b) => b === "together")).toHaveLength(4);
    });

    it("keeps a race over a workflow that does not exist yet in memory, and ends it when that one finishes", async () => {
      // Its store could not wake a suspension on a row that is not there yet (migration 0020):
      // before, the race suspended and that workflow's finish woke nobody.
      const clock = createVirtualClock(Date.UTC(2026, 0, 1));
      const store = db.store();
      const reads: string[] = [];
      const suspensions: string[] = [];
      const watched: WorkflowStore = {
        ...store,
        getWorkflow: (id) => {
          reads.push(id);
          return store.getWorkflow(id);
        },
        suspendWorkflow: (id, wakeAt, fence, wakeOn) => {
          suspensions.push(id);
          return store.suspendWorkflow(id, wakeAt, fence, wakeOn);
        },
      };
      // A poll too slow to matter: only the finish's notification can end the race in time.
      const { engine } = await launch(clock, watched, "exec-a", 3_600_000);
      engineOfRace = engine;
      const handle = await engine.start(raceLater, undefined, { id: "rl" });
      await until(() => reads.includes("later-1"));
      for (let i = 0; i < 5; i++) await new Promise((resolve) => setImmediate(resolve));
      expect(suspensions).toEqual([]); // no suspension asked for while it is missing
      await engine.start(quick, undefined, { id: "later-1" });
      expect(await handle.result()).toBe("other");
    });

    it("suspends a child's result with timeoutMs and wakes it at the timeout", async () => {
      const clock = createVirtualClock(Date.UTC(2026, 0, 1));
      const { engine, events } = await launch(clock, db.store());
      const handle = await engine.start(timed, undefined, { id: "tm" });
      await until(() => suspendedIds(events).includes("tm"));
      expect(await suspended("tm")).toBe(true);
      await clock.advance("1h");
      expect(await handle.result()).toBe("ResultTimeoutError");
    });
  });
}
