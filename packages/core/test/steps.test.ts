import { describe, expect, it } from "vitest";
import {
  createEngine,
  NonRetryableError,
  SerializationError,
  step,
  StepTimeoutError,
  workflow,
  type StepContext,
  type WorkflowContext,
} from "../src/index.js";
import { createMemoryStore } from "../src/testing/index.js";
import { recordingLogger } from "./support.js";

async function runOnce<Out>(body: (ctx: WorkflowContext) => Promise<Out>) {
  const wf = workflow("wf", body);
  const store = createMemoryStore();
  const engine = createEngine({ store, workflows: [wf], logger: recordingLogger() });
  await engine.launch();
  const handle = await engine.start(wf, undefined, { id: "w" });
  return { handle, store, result: handle.result() };
}

describe("steps", () => {
  it("retries a failing step with backoff until it succeeds, telling the body its attempt", async () => {
    const seen: number[] = [];
    const flaky = step.withContext(
      { name: "flaky", retry: { maxAttempts: 5, initialDelayMs: 1, backoffFactor: 2 } },
      ({ attempt }: StepContext) => {
        seen.push(attempt);
        if (attempt < 3) throw new Error(`attempt ${attempt} failed`);
        return "ok";
      },
    );
    const { result, store } = await runOnce(async (ctx) => flaky(ctx));
    await expect(result).resolves.toBe("ok");
    expect(seen).toEqual([1, 2, 3]);
    const [record] = await store.listSteps("w");
    expect(record).toMatchObject({ name: "flaky", attempts: 3 });
  });

  it("records each retried attempt durably, and nothing more when the first attempt succeeds", async () => {
    const flaky = step.withContext(
      { name: "flaky", retry: { maxAttempts: 5, initialDelayMs: 1, backoffFactor: 2 } },
      ({ attempt }: StepContext) => {
        if (attempt < 3) throw new Error(`attempt ${attempt} failed`);
        return "ok";
      },
    );
    const steady = step("steady", () => "ok");
    const { result, store } = await runOnce(async (ctx) => [await steady(ctx), await flaky(ctx)]);
    await expect(result).resolves.toEqual(["ok", "ok"]);
    // Two failed attempts of position 1, each written before its backoff; none for position 0.
    expect(store.calls.recordStepAttempt).toBe(2);
    expect(store.calls.recordStep).toBe(2);
    // A workflow that never ran before reads no attempts.
    expect(store.calls.listStepAttempts).toBe(0);
    const [attempt] = await store.listStepAttempts("w");
    expect(attempt).toMatchObject({ position: 1, name: "flaky", attempts: 2 });
  });

  it("continues at the next attempt when the poll picks the workflow up again in the same process", async () => {
    const seen: number[] = [];
    const flaky = step.withContext(
      { name: "flaky", retry: { maxAttempts: 6, initialDelayMs: 1, backoffFactor: 1 } },
      ({ attempt }: StepContext) => {
        seen.push(attempt);
        if (attempt < 4) throw new Error(`attempt ${attempt} failed`);
        return "ok";
      },
    );
    const wf = workflow("wf", async (ctx) => flaky(ctx));
    const memory = createMemoryStore();
    // The second attempt's record fails (not an outage): the run stops, the workflow stays
    // PENDING here at the same owner epoch, and only the poll runs it again.
    let recorded = 0;
    const store: typeof memory = {
      ...memory,
      async recordStepAttempt(attempt, fence) {
        if (++recorded === 2) throw new Error("disk full");
        return memory.recordStepAttempt(attempt, fence);
      },
    };
    const engine = createEngine({
      store,
      workflows: [wf],
      logger: recordingLogger(),
      pollIntervalMs: 5,
    });
    await engine.launch();
    try {
      await engine.start(wf, undefined, { id: "w" });
      while ((await memory.getWorkflow("w"))?.status !== "SUCCESS") {
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
      // Attempt 1 failed and was recorded; attempt 2 failed but its record did not land, so the
      // picked-up run resumes after attempt 1 — never at attempt 1 again.
      expect(seen).toEqual([1, 2, 2, 3, 4]);
      expect((await memory.getWorkflow("w"))?.ownerEpoch).toBe(0);
    } finally {
      await engine.shutdown();
    }
  });

  it("stops retrying at a NonRetryableError and throws it into the workflow", async () => {
    let calls = 0;
    const declined = step({ name: "charge", retry: { maxAttempts: 5, initialDelayMs: 1 } }, () => {
      calls++;
      throw new NonRetryableError("card declined");
    });
    const { result } = await runOnce(async (ctx) => declined(ctx));
    const error = await result.catch((e: unknown) => e);
    expect(NonRetryableError.is(error)).toBe(true);
    expect((error as Error).message).toBe("card declined");
    expect(calls).toBe(1);
  });

  it("stops retrying when retryIf says no", async () => {
    let calls = 0;
    const picky = step(
      {
        name: "picky",
        retry: {
          maxAttempts: 5,
          initialDelayMs: 1,
          retryIf: (e) => (e as Error).message !== "fatal",
        },
      },
      () => {
        calls++;
        throw new Error("fatal");
      },
    );
    const { result } = await runOnce(async (ctx) => picky(ctx));
    await expect(result).rejects.toThrow("fatal");
    expect(calls).toBe(1);
  });

  it("checkpoints the last error after the final attempt and lets the workflow catch it", async () => {
    const broken = step({ name: "broken", retry: { maxAttempts: 2, initialDelayMs: 1 } }, () => {
      throw new TypeError("still broken");
    });
    const { result, store } = await runOnce(async (ctx) => {
      try {
        await broken(ctx);
        return "unreachable";
      } catch (error) {
        return `caught ${(error as Error).name}: ${(error as Error).message}`;
      }
    });
    await expect(result).resolves.toBe("caught TypeError: still broken");
    const [record] = await store.listSteps("w");
    expect(record?.error).toBeDefined();
    expect(record?.attempts).toBe(2);
  });

  it("aborts the attempt's signal at timeoutMs and fails with StepTimeoutError", async () => {
    let signalled = false;
    const slow = step.withContext({ name: "slow", timeoutMs: 20 }, ({ signal }) => {
      return new Promise<string>((resolve) => {
        signal.addEventListener("abort", () => {
          signalled = true;
          resolve("too late");
        });
      });
    });
    const { result } = await runOnce(async (ctx) => slow(ctx));
    const error = await result.catch((e: unknown) => e);
    expect(StepTimeoutError.is(error)).toBe(true);
    expect(error).toMatchObject({ stepName: "slow", timeoutMs: 20 });
    expect(signalled).toBe(true);
  });

  it("fails a step whose output cannot be serialized with an error naming the step", async () => {
    const leaky = step("leaky", () => ({ callback: () => 1 }));
    const { result, store } = await runOnce(async (ctx) => leaky(ctx));
    const error = await result.catch((e: unknown) => e);
    expect(SerializationError.is(error)).toBe(true);
    expect((error as Error).message).toContain('step "leaky"');
    expect((error as SerializationError).path).toBe(".callback");
    const [record] = await store.listSteps("w");
    expect(record?.error).toBeDefined();
  });

  it("returns rich values exactly as a replay would see them", async () => {
    const rich = step("rich", () => {
      const value = {
        when: new Date(0),
        tags: new Set(["a"]),
        counts: new Map([["x", 1n]]),
        nothing: undefined,
        bytes: new Uint8Array([1, 2]),
        self: undefined as unknown,
      };
      value.self = value;
      return value;
    });
    const { result } = await runOnce(async (ctx) => rich(ctx));
    const value = await result;
    expect(value.when).toEqual(new Date(0));
    expect(value.tags).toEqual(new Set(["a"]));
    expect(value.counts.get("x")).toBe(1n);
    expect("nothing" in value).toBe(true);
    expect(value.bytes).toEqual(new Uint8Array([1, 2]));
    expect(value.self).toBe(value);
  });

  it("gives concurrent steps positions in call order", async () => {
    const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));
    const a = step("a", async () => (await wait(15), "a"));
    const b = step("b", async () => (await wait(1), "b"));
    const { result, store } = await runOnce(async (ctx) => Promise.all([a(ctx), b(ctx)]));
    await expect(result).resolves.toEqual(["a", "b"]);
    const names = (await store.listSteps("w")).map((s) => `${s.position}:${s.name}`);
    expect(names).toEqual(["0:a", "1:b"]);
  });
});
