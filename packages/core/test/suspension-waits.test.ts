/**
 * Suspension of workflows waiting for arrivals (decision 0014): `recv`, `getEvent`, a child's
 * result and `race` leave memory past the engine's `suspendAfterMs` and come back by replay when
 * what they wait for arrives (a store `wake` notification, or the poll when there is none), at
 * their deadline, or at the workflow's own deadline. Virtual time throughout; no wall-clock
 * assertion.
 */
import { afterEach, describe, expect, it } from "vitest";
import {
  createEngine,
  workflow,
  type AnyWorkflow,
  type Engine,
  type LifecycleEvent,
  type WorkflowStore,
} from "../src/index.js";
import { createMemoryStore, createVirtualClock, type VirtualClock } from "../src/testing/index.js";
import { defaultSerializer } from "../src/serialization.js";
import { recordingLogger } from "./support.js";

const engines: Engine[] = [];
afterEach(async () => {
  for (const engine of engines.splice(0)) await engine.shutdown();
});

const start = Date.UTC(2026, 0, 1);

async function engineOn(
  options: { clock?: VirtualClock; store?: WorkflowStore; suspendAfterMs?: number },
  ...workflows: AnyWorkflow[]
) {
  const events: LifecycleEvent[] = [];
  const store = options.store ?? createMemoryStore();
  const engine = createEngine({
    store,
    workflows,
    clock: options.clock ?? createVirtualClock(start),
    suspendAfterMs: options.suspendAfterMs ?? 0,
    logger: recordingLogger(),
    shutdownGraceMs: 0,
    pollIntervalMs: 50,
    observers: [{ onEvent: (event) => void events.push(event) }],
  });
  engines.push(engine);
  await engine.launch();
  const suspended = () =>
    events.flatMap((e) => (e.type === "workflow.suspended" ? [e.run.workflowId] : []));
  return { engine, events, store, suspended };
}

/** Polls `condition` until it holds (the test's timeout bounds it). */
async function until(condition: () => boolean | Promise<boolean>): Promise<void> {
  while (!(await condition())) await new Promise((resolve) => setTimeout(resolve, 5));
}

describe("suspension of waits for arrivals", () => {
  it("suspends a recv and wakes it by replay when the message is sent", async () => {
    const clock = createVirtualClock(start);
    let bodies = 0;
    const inbox = workflow("inbox", async (ctx) => {
      bodies++;
      return { got: await ctx.recv("go") };
    });
    const { engine, store, suspended } = await engineOn({ clock }, inbox);
    const handle = await engine.start(inbox, undefined);
    await until(() => suspended().length === 1);
    // Nothing of it waits here: no timer, no watch; the store says it is not runnable.
    expect(clock.sleeping).toBe(0);
    expect(await store.listRunnable(engine.executorId, 10)).toEqual([]);
    await handle.send("go", "hello");
    expect(await handle.result()).toEqual({ got: "hello" });
    expect(bodies).toBe(2);
  });

  it("wakes a recv with a timeout at its deadline, with nothing received", async () => {
    const clock = createVirtualClock(start);
    const inbox = workflow("inbox", async (ctx) => ({
      got: await ctx.recv("go", { timeoutMs: "1h" }),
    }));
    const { engine, suspended } = await engineOn({ clock }, inbox);
    const handle = await engine.start(inbox, undefined);
    await until(() => suspended().length === 1);
    expect(clock.sleeping).toBe(1); // the engine's one wake-up timer
    await clock.advance("1h");
    expect(await handle.result()).toEqual({ got: undefined });
  });

  it("suspends a getEvent and a child's result, and wakes each when it arrives", async () => {
    const clock = createVirtualClock(start);
    const setter = workflow("setter", async (ctx) => {
      await ctx.setEvent("ready", await ctx.recv<string>("go"));
      return "set";
    });
    const reader = workflow("reader", async (ctx, id: string) =>
      ctx.getEvent(id, "ready", { timeoutMs: "1d" }),
    );
    const parent = workflow("parent", async (ctx) => {
      const fromChild = await setter(ctx, undefined);
      const started = await ctx.start(setter, undefined, { id: "second-setter" });
      return [fromChild, await started.result()];
    });
    const { engine, suspended } = await engineOn({ clock }, setter, reader, parent);
    const parentHandle = await engine.start(parent, undefined, { id: "parent" });
    const childId = "parent:0";
    const readerHandle = await engine.start(reader, childId, { id: "reader" });
    await until(() => ["parent", "reader", childId].every((id) => suspended().includes(id)));
    await engine.retrieve(childId).send("go", "yes");
    expect(await readerHandle.result()).toBe("yes");
    await until(() => suspended().includes("second-setter"));
    await engine.retrieve("second-setter").send("go", "again");
    expect(await parentHandle.result()).toEqual(["set", "set"]);
  });

  it("suspends a race and wakes it for the branch that is ready first", async () => {
    const clock = createVirtualClock(start);
    const racer = workflow("racer", async (ctx) =>
      ctx.race({ message: { message: "go" }, timer: { timer: "1h" } }),
    );
    const { engine, suspended } = await engineOn({ clock }, racer);
    const byMessage = await engine.start(racer, undefined, { id: "by-message" });
    const byTimer = await engine.start(racer, undefined, { id: "by-timer" });
    await until(() => suspended().length === 2);
    await byMessage.send("go", 7);
    expect(await byMessage.result()).toEqual({ key: "message", value: 7 });
    await clock.advance("1h");
    expect(await byTimer.result()).toEqual({ key: "timer", value: undefined });
  });

  it("never loses a message sent while the suspension is being written", async () => {
    const clock = createVirtualClock(start);
    const memory = createMemoryStore();
    const inbox = workflow("inbox", async (ctx) => ctx.recv("go"));
    // The message lands just before the suspension is written (the write sees it and refuses),
    // or just after (the write is in force, and the message makes it due at once).
    const store: WorkflowStore = {
      ...memory,
      async suspendWorkflow(workflowId, wakeAt, fence, wakeOn) {
        const send = () =>
          memory.sendMessage({
            destinationId: workflowId,
            topic: "go",
            message: defaultSerializer.serialize(workflowId, "the message"),
            messageId: `m-${workflowId}`,
          });
        if (workflowId === "before") await send();
        const written = await memory.suspendWorkflow(workflowId, wakeAt, fence, wakeOn);
        if (workflowId === "after") await send();
        return written;
      },
    };
    const { engine, suspended } = await engineOn({ clock, store }, inbox);
    const before = await engine.start(inbox, undefined, { id: "before" });
    const after = await engine.start(inbox, undefined, { id: "after" });
    expect(await before.result()).toBe("before");
    expect(await after.result()).toBe("after");
    expect(suspended()).toEqual(["after"]);
  });

  it("is woken by the poll when the store sends no notifications", async () => {
    const clock = createVirtualClock(start);
    const inbox = workflow("inbox", async (ctx) => ctx.recv("go"));
    const store: WorkflowStore = { ...createMemoryStore() };
    Reflect.deleteProperty(store, "subscribe"); // the engine then polls
    const { engine, suspended } = await engineOn({ clock, store }, inbox);
    const handle = await engine.start(inbox, undefined);
    await until(() => suspended().length === 1);
    await handle.send("go", "late");
    expect(await handle.result()).toBe("late");
  });

  it("wakes at the workflow's own deadline, which then cancels it", async () => {
    const clock = createVirtualClock(start);
    const inbox = workflow("inbox", async (ctx) => ctx.recv("go"));
    const { engine, events, suspended } = await engineOn({ clock }, inbox);
    const handle = await engine.start(inbox, undefined, { timeoutMs: 3_600_000 });
    await until(() => suspended().length === 1);
    const event = events.find((e) => e.type === "workflow.suspended");
    expect(event).toMatchObject({ wakeAt: start + 3_600_000 });
    await clock.advance("1h");
    await until(async () => (await handle.status()).status === "CANCELLED");
  });

  it("stays in memory while another wait of the run is in flight, or below the threshold", async () => {
    const clock = createVirtualClock(start);
    const both = workflow("both", async (ctx) =>
      Promise.all([ctx.recv("a"), ctx.recv("b", { timeoutMs: "1d" })]),
    );
    const short = workflow("short", async (ctx) => ctx.recv("a", { timeoutMs: "1m" }));
    const { engine, suspended } = await engineOn({ clock, suspendAfterMs: 3_600_000 }, both, short);
    const pair = await engine.start(both, undefined);
    const brief = await engine.start(short, undefined);
    await clock.untilSleeping(2); // recv("b") and short's recv; recv("a") has no deadline
    await pair.send("a", 1);
    await pair.send("b", 2);
    expect(await pair.result()).toEqual([1, 2]);
    await clock.advance("1m");
    expect(await brief.result()).toBeUndefined();
    expect(suspended()).toEqual([]);
  });

  it("keeps a wait in memory until it has waited the threshold, then suspends it", async () => {
    const clock = createVirtualClock(start);
    const inbox = workflow("inbox", async (ctx) => ctx.recv("go"));
    const { engine, suspended } = await engineOn({ clock, suspendAfterMs: 60_000 }, inbox);
    const quick = await engine.start(inbox, undefined, { id: "quick" });
    await clock.untilSleeping();
    await clock.advance("30s");
    await quick.send("go", "soon");
    expect(await quick.result()).toBe("soon");
    const slow = await engine.start(inbox, undefined, { id: "slow" });
    await clock.untilSleeping();
    expect(suspended()).toEqual([]);
    await clock.advance("1m");
    await until(() => suspended().includes("slow"));
    await slow.send("go", "late");
    expect(await slow.result()).toBe("late");
    expect(suspended()).toEqual(["slow"]);
  });
});
