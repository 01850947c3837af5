import { afterEach, describe, expect, it } from "vitest";
import {
  createEngine,
  InvalidOptionError,
  workflow,
  type AnyWorkflow,
  type Engine,
  type LifecycleEvent,
  type WorkflowStore,
} from "../src/index.js";
import { createMemoryStore, createVirtualClock, type VirtualClock } from "../src/testing/index.js";
import { recordingLogger } from "./support.js";

const engines: Engine[] = [];
afterEach(async () => {
  for (const engine of engines.splice(0)) await engine.shutdown();
});

async function engineOn(
  options: { clock?: VirtualClock; store?: WorkflowStore; suspendAfterMs?: number },
  ...workflows: AnyWorkflow[]
) {
  const events: LifecycleEvent[] = [];
  const engine = createEngine({
    store: options.store ?? createMemoryStore(),
    workflows,
    ...(options.clock ? { clock: options.clock } : {}),
    suspendAfterMs: options.suspendAfterMs ?? 0,
    logger: recordingLogger(),
    shutdownGraceMs: 0,
    pollIntervalMs: 50,
    observers: [{ onEvent: (event) => void events.push(event) }],
  });
  engines.push(engine);
  await engine.launch();
  return { engine, events };
}

/** Polls `condition` until it holds (no wall-clock assertion: the test's timeout bounds it). */
async function until(condition: () => boolean | Promise<boolean>): Promise<void> {
  while (!(await condition())) await new Promise((resolve) => setTimeout(resolve, 5));
}

const suspendedIds = (events: LifecycleEvent[]) =>
  events.flatMap((e) => (e.type === "workflow.suspended" ? [e.run.workflowId] : []));

describe("suspension of sleeping workflows", () => {
  it("leaves memory during a sleep and carries on by replay when it is due", async () => {
    const clock = createVirtualClock(Date.UTC(2026, 0, 1));
    const bodies: string[] = [];
    const nap = workflow("nap", async (ctx, name: string) => {
      bodies.push(name);
      const before = await ctx.now();
      await ctx.sleep("1h");
      return { name, sleptMs: (await ctx.now()) - before };
    });
    const store = createMemoryStore();
    const { engine, events } = await engineOn({ clock, store }, nap);
    const handle = await engine.start(nap, "ada");
    await until(() => suspendedIds(events).includes(handle.workflowId));
    // The run ended here: only the engine's one wake-up timer waits on the clock, and the store
    // says when the workflow is due.
    expect(clock.sleeping).toBe(1);
    expect(await store.listRunnable(engine.executorId, 10)).toEqual([]);
    expect((await handle.status()).status).toBe("PENDING");
    await clock.advance("59m");
    expect(bodies).toEqual(["ada"]);
    await clock.advance("1m");
    expect(await handle.result()).toEqual({ name: "ada", sleptMs: 3_600_000 });
    expect(bodies).toEqual(["ada", "ada"]); // replayed once, from the start
  });

  it("wakes many sleepers, each once, earliest first", async () => {
    const clock = createVirtualClock(Date.UTC(2026, 0, 1));
    const woke: number[] = [];
    const nap = workflow("nap", async (ctx, minutes: number) => {
      await ctx.sleep(minutes * 60_000);
      woke.push(minutes);
      return minutes;
    });
    const { engine, events } = await engineOn({ clock }, nap);
    const handles = await Promise.all(
      [30, 10, 20].map((m) => engine.start(nap, m, { id: `nap-${m}` })),
    );
    await until(() => suspendedIds(events).length === 3);
    expect(clock.sleeping).toBe(1); // three sleepers, one timer
    await clock.advance("10m");
    await handles[1]!.result();
    expect(woke).toEqual([10]);
    await clock.advance("20m");
    expect(await Promise.all(handles.map((h) => h.result()))).toEqual([30, 10, 20]);
    expect(woke).toEqual([10, 20, 30]);
  });

  it("keeps a sleep shorter than the threshold in memory", async () => {
    const clock = createVirtualClock(Date.UTC(2026, 0, 1));
    const nap = workflow("nap", async (ctx) => {
      await ctx.sleep("1m");
      return "rested";
    });
    const { engine, events } = await engineOn({ clock, suspendAfterMs: 3_600_000 }, nap);
    const handle = await engine.start(nap, undefined);
    await clock.untilSleeping();
    await clock.advance("1m");
    expect(await handle.result()).toBe("rested");
    expect(suspendedIds(events)).toEqual([]);
  });

  it("suspends on the real clock and wakes by the timer", async () => {
    const nap = workflow("nap", async (ctx) => {
      await ctx.sleep(20);
      return "rested";
    });
    const { engine, events } = await engineOn({}, nap);
    const handle = await engine.start(nap, undefined);
    expect(await handle.result()).toBe("rested");
    expect(suspendedIds(events)).toEqual([handle.workflowId]);
  });

  it("stays suspended through a shutdown and wakes in the next engine of the executor", async () => {
    const clock = createVirtualClock(Date.UTC(2026, 0, 1));
    // One store outlives both engines (each would close it at shutdown).
    const store = { ...createMemoryStore(), close: async () => undefined };
    const nap = workflow("nap", async (ctx) => {
      await ctx.sleep("1h");
      return "rested";
    });
    const first = await engineOn({ clock, store }, nap);
    const handle = await first.engine.start(nap, undefined, { id: "nap-1" });
    await until(() => suspendedIds(first.events).length === 1);
    await first.engine.shutdown();
    const second = createEngine({
      store,
      workflows: [nap],
      clock,
      executorId: first.engine.executorId,
      suspendAfterMs: 0,
      logger: recordingLogger(),
      shutdownGraceMs: 0,
    });
    engines.push(second);
    // The claim moves it suspended: nothing to recover (replay) until it is due.
    const report = await second.launch();
    expect(report.recovered).toEqual([]);
    await clock.advance("1h");
    expect(await second.retrieve(handle.workflowId).result()).toBe("rested");
  });

  it("refuses a negative or NaN threshold, and takes infinity for never", () => {
    const never = createEngine({
      store: createMemoryStore(),
      workflows: [],
      suspendAfterMs: Number.POSITIVE_INFINITY,
    });
    expect(never.executorId).toBeTypeOf("string");
    for (const bad of [-1, Number.NaN]) {
      expect(() =>
        createEngine({ store: createMemoryStore(), workflows: [], suspendAfterMs: bad }),
      ).toThrow(InvalidOptionError);
    }
  });
});
