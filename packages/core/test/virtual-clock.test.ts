import { afterEach, describe, expect, it } from "vitest";
import { z } from "zod";
import {
  createEngine,
  step,
  StepTimeoutError,
  WorkflowCancelledError,
  workflow,
  type AnyWorkflow,
  type Engine,
} from "../src/index.js";
import { createMemoryStore, createVirtualClock, type VirtualClock } from "../src/testing/index.js";
import { forever, recordingLogger } from "./support.js";

const DAY = 24 * 3_600_000;
const engines: Engine[] = [];
afterEach(async () => {
  for (const engine of engines.splice(0)) await engine.shutdown();
});

async function engineOn(clock: VirtualClock, ...workflows: AnyWorkflow[]) {
  const engine = createEngine({
    store: createMemoryStore(),
    workflows,
    clock,
    logger: recordingLogger(),
    shutdownGraceMs: 0,
  });
  engines.push(engine);
  await engine.launch();
  return engine;
}

describe("virtual clock", () => {
  it("ends a day-long durable sleep when the test advances a day, and ctx.now() reads it", async () => {
    const clock = createVirtualClock(Date.UTC(2026, 0, 1));
    const reminder = workflow("reminder", async (ctx, name: string) => {
      const before = await ctx.now();
      await ctx.sleep("1d");
      return { name, sleptMs: (await ctx.now()) - before };
    });
    const engine = await engineOn(clock, reminder);
    const handle = await engine.start(reminder, "ada");
    await clock.untilSleeping();
    await clock.advance("23h");
    expect((await handle.status()).status).toBe("PENDING");
    await clock.advance("1h");
    expect(await handle.result()).toEqual({ name: "ada", sleptMs: DAY });
  });

  it("times out a recv at its deadline and not before", async () => {
    const clock = createVirtualClock();
    const waiting = workflow("waiting", async (ctx) => ctx.recv("approval", { timeoutMs: "1h" }));
    const engine = await engineOn(clock, waiting);
    const handle = await engine.start(waiting, undefined);
    await clock.untilSleeping();
    await clock.advance("59m");
    expect((await handle.status()).status).toBe("PENDING");
    await clock.advance("1m");
    expect(await handle.result()).toBeUndefined();
  });

  it("returns undefined from a timed-out recv on a topic with a declared schema", async () => {
    const clock = createVirtualClock();
    const typed = workflow(
      { name: "typed", channels: { messages: { approval: z.object({ ok: z.boolean() }) } } },
      async (ctx) => ctx.recv("approval", { timeoutMs: "1h" }),
    );
    const engine = await engineOn(clock, typed);
    const handle = await engine.start(typed, undefined);
    await clock.untilSleeping();
    await clock.advance("1h");
    expect(await handle.result()).toBeUndefined();
  });

  it("waits out retry backoff on the virtual clock", async () => {
    const clock = createVirtualClock();
    let attempts = 0;
    const flaky = step(
      { name: "flaky", retry: { maxAttempts: 3, initialDelayMs: 60_000, backoffFactor: 2 } },
      async () => {
        if (++attempts < 3) throw new Error("not yet");
        return attempts;
      },
    );
    const wf = workflow("wf", async (ctx) => flaky(ctx));
    const engine = await engineOn(clock, wf);
    const handle = await engine.start(wf, undefined);
    await clock.untilSleeping();
    await clock.advance("1m"); // first backoff
    expect(attempts).toBe(2);
    await clock.untilSleeping();
    await clock.advance("2m"); // second backoff, doubled
    expect(await handle.result()).toBe(3);
  });

  it("cancels a workflow at its timeout and fails a step at its attempt timeout", async () => {
    const clock = createVirtualClock();
    const hangs = step({ name: "hangs", timeoutMs: 5_000 }, async () => forever());
    const wf = workflow("wf", async (ctx) => {
      const timedOut = await hangs(ctx).catch((error: unknown) => StepTimeoutError.is(error));
      await ctx.sleep("1d");
      return timedOut;
    });
    const engine = await engineOn(clock, wf);
    const handle = await engine.start(wf, undefined, { timeoutMs: 3_600_000 });
    await clock.untilSleeping(2); // the workflow's deadline and the step's timeout
    await clock.advance("5s");
    expect((await engine.listSteps(handle.workflowId)).map((s) => s.name)).toContain("hangs");
    await clock.advance("1h");
    await expect(handle.result()).rejects.toSatisfy((error: unknown) =>
      WorkflowCancelledError.is(error),
    );
  });

  it("advanceToNext jumps to the next wake-up, and says when nothing sleeps", async () => {
    const clock = createVirtualClock(0);
    expect(await clock.advanceToNext()).toBe(false);
    const done = clock.sleep(90_000, new AbortController().signal);
    expect(clock.sleeping).toBe(1);
    expect(await clock.advanceToNext()).toBe(true);
    await done;
    expect(clock.now()).toBe(90_000);
  });
});
