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
  step,
  workflow,
  type AnyWorkflow,
  type Duration,
  type EnginePlugin,
  type Engine,
  type LifecycleEvent,
  type WorkflowStore,
} from "../src/index.js";
import { createMemoryStore, createVirtualClock, type VirtualClock } from "../src/testing/index.js";
import { defaultSerializer } from "../src/serialization.js";
import { gate, recordingLogger } from "./support.js";

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

  it("stays in memory below the threshold, two waits in Promise.all included", async () => {
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

/** Each `workflow.suspended` event's workflow and due time, in order. */
const suspensions = (events: readonly LifecycleEvent[]) =>
  events.flatMap((e) =>
    e.type === "workflow.suspended" ? [{ id: e.run.workflowId, wakeAt: e.wakeAt }] : [],
  );

describe("suspension of waits awaited together", () => {
  it("suspends two sleeps in Promise.all until the earlier, then the later", async () => {
    const clock = createVirtualClock(start);
    let bodies = 0;
    const naps = workflow("naps", async (ctx) => {
      bodies++;
      await Promise.all([ctx.sleep("1h"), ctx.sleep("2h")]);
      return ctx.now();
    });
    const { engine, events } = await engineOn({ clock }, naps);
    const handle = await engine.start(naps, undefined, { id: "naps" });
    await until(() => suspensions(events).length === 1);
    expect(suspensions(events)).toEqual([{ id: "naps", wakeAt: start + 3_600_000 }]);
    expect(clock.sleeping).toBe(1); // the engine's one wake-up timer, nothing of the run
    await clock.advance("1h");
    // Woken at the earlier one: the replay finds it past, and suspends again for the later one.
    await until(() => suspensions(events).length === 2);
    expect(suspensions(events)[1]).toEqual({ id: "naps", wakeAt: start + 7_200_000 });
    await clock.advance("1h");
    expect(await handle.result()).toBe(start + 7_200_000);
    expect(bodies).toBe(3);
  });

  it("suspends a recv and a child's result awaited together, and wakes for each", async () => {
    const clock = createVirtualClock(start);
    const child = workflow("child", async (ctx) => ctx.recv<string>("in"));
    const parent = workflow("parent", async (ctx) => {
      const started = await ctx.start(child, undefined, { id: "kid" });
      return Promise.all([ctx.recv<string>("go"), started.result()]);
    });
    const { engine, events, suspended } = await engineOn({ clock }, parent, child);
    const handle = await engine.start(parent, undefined, { id: "parent" });
    await until(() => ["parent", "kid"].every((id) => suspended().includes(id)));
    const parentSuspensions = () => suspensions(events).filter((s) => s.id === "parent");
    expect(parentSuspensions()).toEqual([{ id: "parent", wakeAt: undefined }]);
    expect(clock.sleeping).toBe(0);
    // The message wakes it; the child still runs, so it suspends again, for the child alone.
    await handle.send("go", "message");
    await until(() => parentSuspensions().length === 2);
    expect(await engine.listSteps("parent")).toContainEqual(
      expect.objectContaining({ name: "cairn.recv" }),
    );
    await engine.retrieve("kid").send("in", "child");
    expect(await handle.result()).toEqual(["message", "child"]);
  });

  it("keeps the due time of a sleep raced against a recv with Promise.race", async () => {
    const clock = createVirtualClock(start);
    const racer = workflow("racer", async (ctx) =>
      Promise.race([ctx.sleep("2h").then(() => "slept"), ctx.recv<string>("go")]),
    );
    const { engine, events } = await engineOn({ clock }, racer);
    const handle = await engine.start(racer, undefined, { id: "racer" });
    await until(() => suspensions(events).length === 1);
    expect(suspensions(events)).toEqual([{ id: "racer", wakeAt: start + 7_200_000 }]);
    await clock.advance("2h");
    expect(await handle.result()).toBe("slept");
  });

  it("reads every wait again when the suspension finds an arrival", async () => {
    const clock = createVirtualClock(start);
    const memory = createMemoryStore();
    let refused = 0;
    // The message lands just before the suspension is written: the write sees it and refuses.
    const store: WorkflowStore = {
      ...memory,
      async suspendWorkflow(workflowId, wakeAt, fence, wakeOn) {
        if (refused === 0) {
          refused++;
          await memory.sendMessage({
            destinationId: workflowId,
            topic: "b",
            message: defaultSerializer.serialize("b!", "the message"),
            messageId: "m-b",
          });
        }
        return memory.suspendWorkflow(workflowId, wakeAt, fence, wakeOn);
      },
    };
    const pair = workflow("pair", async (ctx) => Promise.all([ctx.recv("a"), ctx.recv("b")]));
    const { engine, suspended } = await engineOn({ clock, store }, pair);
    const handle = await engine.start(pair, undefined, { id: "pair" });
    // recv("b") took its message; recv("a") alone suspends.
    await until(() => suspended().length === 1);
    expect(refused).toBe(1);
    await handle.send("a", "a!");
    expect(await handle.result()).toEqual(["a!", "b!"]);
  });

  it("suspends a recv once a step in flight beside it has finished", async () => {
    const clock = createVirtualClock(start);
    const release = gate();
    const slow = step("slow", async () => {
      await release.wait;
      return "stepped";
    });
    const both = workflow("both", async (ctx) => Promise.all([slow(ctx), ctx.recv("go")]));
    const store = createMemoryStore();
    const { engine, suspended } = await engineOn({ clock, store }, both);
    const handle = await engine.start(both, undefined, { id: "both" });
    await until(() => store.calls.consumeMessage > 0); // the recv waits in memory
    expect(suspended()).toEqual([]);
    release.open();
    await until(() => suspended().includes("both"));
    await handle.send("go", "message");
    expect(await handle.result()).toEqual(["stepped", "message"]);
  });
});

describe("suspension of child handles", () => {
  it("suspends a child handle's result with timeoutMs and times it out by its checkpoint", async () => {
    const clock = createVirtualClock(start);
    const child = workflow("child", async (ctx) => ctx.recv<string>("in"));
    const parent = workflow("parent", async (ctx, timeout: Duration) => {
      const started = await ctx.start(child, undefined, { id: `${ctx.workflowId}-kid` });
      try {
        return { result: await started.result({ timeoutMs: timeout }) };
      } catch (error) {
        return { error: (error as Error).name };
      }
    });
    const { engine, events, suspended } = await engineOn({ clock }, parent, child);
    const late = await engine.start(parent, "1h", { id: "late" });
    const prompt = await engine.start(parent, "1d", { id: "prompt" });
    await until(() => ["late", "prompt"].every((id) => suspended().includes(id)));
    expect(suspensions(events).find((s) => s.id === "late")).toEqual({
      id: "late",
      wakeAt: start + 3_600_000,
    });
    await engine.retrieve("prompt-kid").send("in", "done");
    expect(await prompt.result()).toEqual({ result: "done" });
    await clock.advance("1h");
    expect(await late.result()).toEqual({ error: "ResultTimeoutError" });
    // The outcome is checkpointed: the child finishing now changes nothing on a replay.
    expect((await engine.listSteps("late")).map((s) => s.name)).toContain("cairn.race#timeout");
  });

  it("suspends on the handle of a child from ctx.enqueue and wakes when it ends", async () => {
    const clock = createVirtualClock(start);
    const memory = createMemoryStore();
    const queues: EnginePlugin = {
      kind: "test/queues",
      start: () => undefined,
      stop: () => Promise.resolve(),
      enqueueChild: () => async (row) => (await memory.createWorkflow(row)).workflow.workflowId,
    };
    const child = workflow("child", async () => "never run here");
    const parent = workflow("parent", async (ctx) => {
      const queued = await ctx.enqueue({ name: "q" }, child, undefined);
      try {
        return await queued.result();
      } catch (error) {
        return (error as Error).name;
      }
    });
    const events: LifecycleEvent[] = [];
    const engine = createEngine({
      store: memory,
      workflows: [parent, child],
      plugins: [queues],
      clock,
      suspendAfterMs: 0,
      logger: recordingLogger(),
      shutdownGraceMs: 0,
      pollIntervalMs: 50,
      observers: [{ onEvent: (event) => void events.push(event) }],
    });
    engines.push(engine);
    await engine.launch();
    const handle = await engine.start(parent, undefined, { id: "parent" });
    await until(() => suspensions(events).some((s) => s.id === "parent"));
    expect(clock.sleeping).toBe(0);
    // Nobody serves the queue: cancelling the child is how it ends here.
    await engine.cancel("parent:0");
    expect(await handle.result()).toBe("WorkflowCancelledError");
  });
});
