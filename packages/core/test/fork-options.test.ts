/**
 * Fork options from the engine and the client (memory store): the version (the engine's own by
 * default, as a start's), a timeout that becomes the fork's deadline, what comes along from
 * before the fork point, and bad options or a queue the store cannot serve refused before
 * anything is written.
 */
import { describe, expect, it } from "vitest";
import {
  createClient,
  createEngine,
  InvalidOptionError,
  step,
  workflow,
  type ForkOptions,
} from "../src/index.js";
import { createMemoryStore } from "../src/testing/index.js";
import { recordingLogger } from "./support.js";

const mark = step("mark", async (label: string) => label);
const stages = workflow("stages", async (ctx) => {
  await ctx.setEvent("stage", "a");
  await ctx.writeStream("log", "one");
  await mark(ctx, "middle");
  await ctx.setEvent("stage", "b");
  await ctx.writeStream("log", "two");
  return "done";
});

async function setup() {
  const store = createMemoryStore();
  const engine = createEngine({
    store,
    workflows: [stages],
    appVersion: "v7",
    logger: recordingLogger(),
  });
  await engine.launch();
  await engine.run(stages, undefined, { id: "source" });
  const middle = (await engine.listSteps("source")).find((s) => s.name === "mark");
  return { store, engine, middle: middle?.position ?? -1 };
}

describe("fork options", () => {
  it("gives a fork the engine's version by default, or the one asked for, and a deadline", async () => {
    const { engine } = await setup();
    const plain = await engine.fork("source", { fromStep: 0, id: "plain" });
    await plain.result();
    expect((await plain.status()).appVersion).toBe("v7");
    const before = Date.now();
    const timed = await engine.fork("source", {
      fromStep: 0,
      id: "timed",
      appVersion: "v8-canary",
      timeoutMs: "1h",
    });
    const status = await timed.status();
    expect(status.appVersion).toBe("v8-canary");
    expect(status.deadlineAt?.getTime()).toBeGreaterThanOrEqual(before + 3_600_000);
    await engine.shutdown();
  });

  it("starts the fork with the events and stream entries recorded before the fork point", async () => {
    const { store, engine, middle } = await setup();
    const client = createClient({ store: { ...store, close: async () => undefined } });
    const forked = await client.fork("source", {
      fromStep: middle,
      id: "later",
      executorId: "nobody",
    });
    expect(await client.getEvent("later", "stage")).toBe("a");
    expect((await store.readStream("later", "log", 0, 10)).map((e) => e.value)).toHaveLength(1);
    expect((await forked.status()).appVersion).toBeUndefined(); // a client's fork: any version
    await client.close();
    await engine.shutdown();
  });

  it("refuses bad options, and a queue on a store without queues, writing nothing", async () => {
    const { store, engine } = await setup();
    const bad: [ForkOptions, string][] = [
      [{ fromStep: -1 }, "fromStep"],
      [{ fromStep: 0, appVersion: "" }, "appVersion"],
      [{ fromStep: 0, timeoutMs: -5 }, "timeoutMs"],
      [{ fromStep: 0, priority: 3 }, "priority"],
      [{ fromStep: 0, queue: "q", priority: 1.5 }, "priority"],
      [{ fromStep: 0, queue: "" }, "queue"],
      [{ fromStep: 0, queue: "q" }, "queue"], // the memory store alone has no queues
    ];
    for (const [options, option] of bad) {
      const forked = engine.fork("source", { ...options, id: "refused" });
      await expect(forked).rejects.toThrow(InvalidOptionError);
      await expect(forked).rejects.toMatchObject({ option });
    }
    expect(await store.getWorkflow("refused")).toBeUndefined();
    await engine.shutdown();
  });
});
