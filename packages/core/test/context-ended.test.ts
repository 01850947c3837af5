/**
 * A workflow context is only good while its body runs. A durable call made on it afterwards (a
 * `ctx` kept in a closure) fails with `ContextEndedError`; a call still in flight when the body
 * returned (a forgotten `await`) is abandoned with a warning. Either way nothing is written:
 * the memory store counts every call, and the write counts must not move.
 */
import { describe, expect, it } from "vitest";
import {
  ContextEndedError,
  createEngine,
  step,
  workflow,
  type AnyWorkflow,
  type WorkflowContext,
} from "../src/index.js";
import { createMemoryStore, type MemoryStore } from "../src/testing/index.js";
import { gate, recordingLogger } from "./support.js";

const WRITES = [
  "createWorkflow",
  "recordStep",
  "sendMessage",
  "consumeMessage",
  "setEvent",
  "writeStream",
] as const;

const writes = (store: MemoryStore) => WRITES.map((method) => store.calls[method]);

/** Lets every pending promise and I/O callback of the in-memory engine run. */
async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise((resolve) => setImmediate(resolve));
}

async function engineWith(workflows: AnyWorkflow[]) {
  const store = createMemoryStore();
  const logger = recordingLogger();
  const engine = createEngine({ store, workflows, logger, pollIntervalMs: 60_000 });
  await engine.launch();
  return { store, logger, engine };
}

describe("a context after its workflow ended", () => {
  it("abandons a step that was not awaited: it records nothing, its signal aborts, and a warning says so", async () => {
    const release = gate();
    let signal: AbortSignal | undefined;
    let finished = false;
    const slow = step.withContext("slow", async (sc) => {
      signal = sc.signal;
      await release.wait;
      finished = true;
      return "late";
    });
    const forgetful = workflow("forgetful", async (ctx) => {
      void slow(ctx); // the missing await
      return "done";
    });
    const { store, logger, engine } = await engineWith([forgetful]);
    await expect(engine.run(forgetful, undefined, { id: "f" })).resolves.toBe("done");
    expect(signal?.aborted).toBe(true);
    const before = writes(store);

    release.open();
    await settle();
    expect(finished).toBe(true);
    expect(writes(store)).toEqual(before);
    expect(await store.listSteps("f")).toEqual([]);
    const warning = logger.lines.find((line) => line.level === "warn");
    expect(warning?.message).toMatch(/returned while 1 durable call\(s\) were still in flight/);
    await engine.shutdown();
  });

  it("abandons a step that was not awaited and never read its signal: its late result records nothing", async () => {
    const release = gate();
    let finished = false;
    const quiet = step("quiet", async () => {
      await release.wait;
      finished = true;
      return "late";
    });
    const forgetful = workflow("forgetful-quiet", async (ctx) => {
      void quiet(ctx); // the missing await; the body never looks at its signal
      return "done";
    });
    const { store, engine } = await engineWith([forgetful]);
    await expect(engine.run(forgetful, undefined, { id: "fq" })).resolves.toBe("done");
    const before = writes(store);

    release.open();
    await settle();
    expect(finished).toBe(true);
    expect(writes(store)).toEqual(before);
    expect(await store.listSteps("fq")).toEqual([]);
    await engine.shutdown();
  });

  it("does not let a recv left waiting consume a message that arrives after the end", async () => {
    const impatient = workflow("impatient", async (ctx) => {
      void ctx.recv("late");
      return "done";
    });
    const { store, engine } = await engineWith([impatient]);
    await expect(engine.run(impatient, undefined, { id: "i" })).resolves.toBe("done");
    const looks = store.calls.consumeMessage;
    await engine.send("i", "late", "hello");
    await settle();
    expect(store.calls.consumeMessage).toBe(looks); // woken by the send, it took nothing
    expect((await store.listSteps("i")).map((s) => s.name)).not.toContain("cairn.recv");
    await engine.shutdown();
  });

  it("fails every durable call on a kept context with ContextEndedError and writes nothing", async () => {
    let kept: WorkflowContext | undefined;
    const child = workflow("child", async () => "kid");
    const noop = step("noop", async () => "ran");
    const keeper = workflow("keeper", async (ctx) => {
      kept = ctx;
      return "done";
    });
    const { store, engine } = await engineWith([keeper, child]);
    await engine.run(keeper, undefined, { id: "k" });
    const ctx = kept as WorkflowContext;
    const before = writes(store);

    const calls: [string, () => Promise<unknown>][] = [
      ["sleep", () => ctx.sleep(1)],
      ["now", () => ctx.now()],
      ["random", () => ctx.random()],
      ["uuid", () => ctx.uuid()],
      ["send", () => ctx.send("k", "topic", 1)],
      ["recv", () => ctx.recv("topic")],
      ["setEvent", () => ctx.setEvent("key", 1)],
      ["getEvent", () => ctx.getEvent("k", "key")],
      ["writeStream", () => ctx.writeStream("s", 1)],
      ["closeStream", () => ctx.closeStream("s")],
      ["start", () => ctx.start(child, undefined)],
      ["race", () => ctx.race({ t: { timer: 1 } })],
      ["step", () => noop(ctx)],
      ["child", () => child(ctx, undefined)],
    ];
    for (const [what, call] of calls) {
      const error = await call().then(
        () => new Error(`${what} succeeded`),
        (e: unknown) => e,
      );
      expect(ContextEndedError.is(error), `${what}: ${String(error)}`).toBe(true);
      expect(error).toMatchObject({ workflowId: "k" });
    }
    await settle();
    expect(writes(store)).toEqual(before);
    expect(await store.listSteps("k")).toEqual([]);
    expect((await store.listWorkflows({})).map((w) => w.workflowId)).toEqual(["k"]);
    await engine.shutdown();
  });
});
