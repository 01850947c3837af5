import { afterEach, describe, expect, it, vi } from "vitest";
import { z } from "zod";
import {
  createEngine,
  step,
  ValidationError,
  workflow,
  WorkflowNotFoundError,
  type AnyWorkflow,
  type Engine,
  type WorkflowStore,
} from "../src/index.js";
import { createMemoryStore } from "../src/testing/index.js";
import { forever, recordingLogger } from "./support.js";

/** Engines of the running test: shut down after it, so their polls never run into another. */
const engines: Engine[] = [];

async function engineOn(store: WorkflowStore, workflows: AnyWorkflow[], pollIntervalMs = 50) {
  // No grace at shutdown: some tests leave a body stuck on a promise Cairn does not own.
  const logger = recordingLogger();
  // Waits stay in memory here (what these tests are about); suspension-waits.test.ts suspends.
  const never = Number.POSITIVE_INFINITY;
  const engine = createEngine({
    store,
    workflows,
    logger,
    pollIntervalMs,
    shutdownGraceMs: 0,
    suspendAfterMs: never,
  });
  engines.push(engine);
  const report = await engine.launch();
  return { engine, report };
}

/** A view of a store whose close() leaves the shared one open: a "new process" on the same data. */
const view = (store: WorkflowStore): WorkflowStore => ({ ...store, close: async () => undefined });

// An engine left polling every 50 ms would fire ~70,000 times while a later test advances a fake
// clock by an hour: minutes of CPU on a loaded machine.
afterEach(async () => {
  vi.useRealTimers();
  await Promise.all(engines.splice(0).map((engine) => engine.shutdown()));
});

describe("messages", () => {
  it("delivers a message sent before the workflow reaches recv", async () => {
    const store = createMemoryStore();
    const inbox = workflow("inbox", async (ctx) => {
      await ctx.sleep(20);
      return ctx.recv("greeting");
    });
    const { engine } = await engineOn(store, [inbox]);
    const handle = await engine.start(inbox, undefined, { id: "in" });
    await engine.send("in", "greeting", { text: "hello" });
    await expect(handle.result()).resolves.toEqual({ text: "hello" });
  });

  it("wakes a waiting recv as soon as a message arrives, oldest first, each consumed once", async () => {
    const store = createMemoryStore();
    const twice = workflow("twice", async (ctx) => [await ctx.recv("n"), await ctx.recv("n")]);
    const { engine } = await engineOn(store, [twice]);
    const handle = await engine.start(twice, undefined, { id: "t" });
    await engine.send("t", "n", 1);
    await engine.send("t", "n", 2);
    await engine.send("t", "n", 3);
    await expect(handle.result()).resolves.toEqual([1, 2]);
  });

  it("returns undefined when recv times out, and keeps the deadline across a restart", async () => {
    vi.useFakeTimers({ now: 0 });
    const store = createMemoryStore();
    const waiting = workflow("waiting", async (ctx) => {
      const message = await ctx.recv("late", { timeoutMs: "1h" });
      return { message, at: Date.now() };
    });
    const first = await engineOn(view(store), [waiting], 60_000);
    await first.engine.start(waiting, undefined, { id: "w" });
    await vi.advanceTimersByTimeAsync(40 * 60_000);
    await first.engine.shutdown();
    const second = await engineOn(store, [waiting], 60_000);
    expect(second.report.recovered).toEqual(["w"]);
    await vi.advanceTimersByTimeAsync(21 * 60_000);
    const result = await second.engine.retrieve<{ message: unknown; at: number }>("w").result();
    expect(result.message).toBeUndefined();
    expect(result.at).toBeLessThan(61 * 60_000 + 5_000);
  });

  it("sends from a workflow exactly once, even when the sender replays", async () => {
    const store = createMemoryStore();
    let crash = true;
    const receiver = workflow("receiver", async (ctx) => [
      await ctx.recv("x"),
      await ctx.recv("x", { timeoutMs: 50 }),
    ]);
    const sender = workflow("sender", async (ctx, to: string) => {
      await ctx.send(to, "x", "only once");
      if (crash) await forever();
      return "sent";
    });
    const first = await engineOn(view(store), [sender, receiver]);
    const receiving = await first.engine.start(receiver, undefined, { id: "r" });
    await first.engine.start(sender, "r", { id: "s" });
    await vi.waitFor(async () => expect(await store.listSteps("s")).toHaveLength(1));
    crash = false;
    const second = await engineOn(store, [sender, receiver]);
    await expect(second.engine.retrieve("s").result()).resolves.toBe("sent");
    await expect(receiving.result()).resolves.toEqual(["only once", undefined]);
  });

  it("delivers a message with an idempotency key once", async () => {
    const store = createMemoryStore();
    const collect = workflow("collect", async (ctx) => [
      await ctx.recv("m"),
      await ctx.recv("m", { timeoutMs: 50 }),
    ]);
    const { engine } = await engineOn(store, [collect]);
    const handle = await engine.start(collect, undefined);
    await engine.send(handle.workflowId, "m", "a", { idempotencyKey: "k1" });
    await engine.send(handle.workflowId, "m", "a", { idempotencyKey: "k1" });
    await expect(handle.result()).resolves.toEqual(["a", undefined]);
  });

  it("rejects a send to an unknown workflow with WorkflowNotFoundError", async () => {
    const { engine } = await engineOn(createMemoryStore(), []);
    await expect(engine.send("nobody", "t", 1)).rejects.toBeInstanceOf(WorkflowNotFoundError);
  });
});

describe("typed channels", () => {
  const approval = workflow(
    {
      name: "approval",
      channels: {
        messages: { decision: z.object({ approved: z.boolean(), by: z.string() }) },
        events: { status: z.enum(["waiting", "approved", "rejected"]) },
        streams: { log: z.string() },
      },
    },
    async (ctx, request: { id: string }) => {
      await ctx.setEvent("status", "waiting");
      await ctx.writeStream("log", `asked for ${request.id}`);
      const decision = await ctx.recv("decision");
      await ctx.setEvent("status", decision?.approved ? "approved" : "rejected");
      await ctx.writeStream("log", `decided by ${decision?.by ?? "nobody"}`);
      await ctx.closeStream("log");
      return decision?.approved ?? false;
    },
  );

  it("validates messages at send and stores nothing invalid", async () => {
    const store = createMemoryStore();
    const { engine } = await engineOn(store, [approval]);
    const handle = await engine.start(approval, { id: "r1" });
    const invalid = { approved: "yes", by: "ann" };
    // @ts-expect-error approved must be a boolean
    const error = await handle.send("decision", invalid).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ValidationError);
    expect(store.calls.sendMessage).toBe(0);
    await handle.send("decision", { approved: true, by: "ann" });
    await expect(handle.result()).resolves.toBe(true);
  });

  it("lets readers wait for events and read streams to their end", async () => {
    const { engine } = await engineOn(createMemoryStore(), [approval]);
    const handle = await engine.start(approval, { id: "r2" });
    await expect(handle.getEvent("status", { timeoutMs: 1_000 })).resolves.toBe("waiting");
    const reading = (async () => {
      const lines: string[] = [];
      for await (const line of handle.readStream("log")) lines.push(line);
      return lines;
    })();
    await handle.send("decision", { approved: false, by: "bob" });
    await expect(reading).resolves.toEqual(["asked for r2", "decided by bob"]);
    await expect(handle.getEvent("status")).resolves.toBe("rejected");
    const resumed: string[] = [];
    for await (const line of handle.readStream("log", { offset: 1 })) resumed.push(line);
    expect(resumed).toEqual(["decided by bob"]);
  });

  it("refuses to write to a stream the workflow already closed", async () => {
    const writer = workflow("closed-writer", async (ctx) => {
      await ctx.writeStream("s", 1);
      await ctx.closeStream("s");
      await ctx.writeStream("s", 2);
    });
    const { engine } = await engineOn(createMemoryStore(), [writer]);
    await expect(engine.run(writer, undefined)).rejects.toThrow(/stream "s".*closed/);
  });

  it("returns undefined from getEvent when the event is not set in time", async () => {
    const { engine } = await engineOn(createMemoryStore(), [approval]);
    await expect(engine.getEvent("missing", "status", { timeoutMs: 30 })).resolves.toBeUndefined();
  });
});

describe("race", () => {
  it("takes the first branch to be ready and replays the same branch", async () => {
    const store = createMemoryStore();
    let crash = true;
    const racer = workflow("racer", async (ctx) => {
      const first = await ctx.race({ reply: { message: "reply" }, timeout: { timer: 10_000 } });
      if (crash) await forever();
      return first;
    });
    const first = await engineOn(view(store), [racer]);
    await first.engine.start(racer, undefined, { id: "race" });
    await first.engine.send("race", "reply", "pong");
    await vi.waitFor(async () => expect(await store.listSteps("race")).toHaveLength(2));
    crash = false;
    const second = await engineOn(store, [racer]);
    await expect(second.engine.retrieve("race").result()).resolves.toEqual({
      key: "reply",
      value: "pong",
    });
  });

  it("lets a timer win and leaves the message for a later recv", async () => {
    const racer = workflow("timer-wins", async (ctx) => {
      const first = await ctx.race({ reply: { message: "reply" }, timeout: { timer: 20 } });
      await ctx.sleep(30);
      return [first.key, await ctx.recv("reply", { timeoutMs: 1_000 })];
    });
    const { engine } = await engineOn(createMemoryStore(), [racer]);
    const handle = await engine.start(racer, undefined);
    // Send once the timer's win is on record, not after a guess at how long that takes.
    await vi.waitFor(async () =>
      expect((await engine.listSteps(handle.workflowId)).map((s) => s.name)).toContain(
        "cairn.race#timeout",
      ),
    );
    await engine.send(handle.workflowId, "reply", "kept");
    await expect(handle.result()).resolves.toEqual(["timeout", "kept"]);
  });

  it("races a child workflow's result", async () => {
    const child = workflow("quick-child", async () => "child done");
    const parent = workflow("race-parent", async (ctx) => {
      const handle = await ctx.start(child, undefined);
      return ctx.race({ child: handle, timeout: { timer: "1h" } });
    });
    const { engine } = await engineOn(createMemoryStore(), [parent, child]);
    await expect(engine.run(parent, undefined)).resolves.toEqual({
      key: "child",
      value: "child done",
    });
  });

  it("runs durable operations concurrently with Promise.all, positions in call order", async () => {
    const store = createMemoryStore();
    const a = step("a", async () => "a");
    const both = workflow("both", async (ctx) =>
      Promise.all([a(ctx), ctx.recv("m"), ctx.recv("n"), ctx.setEvent("e", 1), ctx.now()]),
    );
    const { engine } = await engineOn(store, [both]);
    const handle = await engine.start(both, undefined, { id: "b" });
    await engine.send("b", "n", "second");
    await engine.send("b", "m", "first");
    const [x, m, n] = await handle.result();
    expect([x, m, n]).toEqual(["a", "first", "second"]);
    expect((await store.listSteps("b")).map((s) => s.name)).toEqual([
      "a",
      "cairn.recv.deadline",
      "cairn.recv",
      "cairn.recv.deadline",
      "cairn.recv",
      "cairn.setEvent",
      "cairn.now",
    ]);
  });
});

describe("failures that are facts, not outages", () => {
  it("fails a send of an unserializable message with SerializationError, running the body once", async () => {
    let runs = 0;
    const target = workflow("send-target", async () => "x");
    const sender = workflow("bad-sender", async (ctx) => {
      runs++;
      await ctx.send("t", "topic", { notify: () => 1 });
      return "sent";
    });
    const { engine } = await engineOn(createMemoryStore(), [target, sender]);
    await engine.start(target, undefined, { id: "t" });
    const error = await engine.run(sender, undefined, { id: "s" }).catch((e: unknown) => e);
    expect(error).toMatchObject({ name: "SerializationError", path: ".notify" });
    await expect(engine.retrieve("s").status()).resolves.toMatchObject({ status: "ERROR" });
    await new Promise((r) => setTimeout(r, 150));
    expect(runs).toBe(1);
  });

  it("returns at once from ctx.getEvent with options but no timeout", async () => {
    const reader = workflow("event-reader", async (ctx) => ctx.getEvent("nobody", "k", {}));
    const { engine } = await engineOn(createMemoryStore(), [reader]);
    await expect(engine.run(reader, undefined)).resolves.toBeUndefined();
  });

  it("does not fail a parent when its child was interrupted by a store error and ran again", async () => {
    const memory = createMemoryStore();
    let failOnce = true;
    const flaky: WorkflowStore = {
      ...memory,
      recordStep: async (step, fence) => {
        if (failOnce && step.workflowId === "p:0") {
          failOnce = false;
          throw new Error("connection reset");
        }
        return memory.recordStep(step, fence);
      },
    };
    const child = workflow("flaky-child", async (ctx) => step("s1", () => "child ok")(ctx));
    const parent = workflow("steady-parent", async (ctx) => child(ctx, undefined));
    const { engine } = await engineOn(flaky, [parent, child]);
    await expect(engine.run(parent, undefined, { id: "p" })).resolves.toBe("child ok");
    await expect(engine.retrieve("p").status()).resolves.toMatchObject({ status: "SUCCESS" });
  });
});
