/**
 * `engine.shutdown()` while the store is unreachable: it keeps the grace period for running
 * steps, then ends within the documented margin even though every store call hangs (a database
 * behind a dead network answers nothing). On a fake clock, so no test waits for real time.
 */
import { afterEach, describe, expect, it, vi } from "vitest";
import { createEngine, step, workflow, type WorkflowStore } from "../src/index.js";
import { createMemoryStore } from "../src/testing/index.js";
import { forever, recordingLogger } from "./support.js";

afterEach(() => vi.useRealTimers());

/** The memory store, until `goAway()`: from then on every call hangs and nothing settles. */
function storeThatGoesAway(): { store: WorkflowStore; goAway: () => void } {
  const memory = createMemoryStore();
  let away = false;
  const store = new Proxy(memory, {
    get(target, key, receiver) {
      const value: unknown = Reflect.get(target, key, receiver);
      if (typeof value !== "function") return value;
      return (...args: unknown[]): unknown => {
        if (away) return forever();
        const result: unknown = Reflect.apply(value, target, args);
        if (key !== "subscribe") return result;
        // Unlistening needs the database too.
        return (result as Promise<() => Promise<void>>).then(
          (stop) => () => (away ? forever() : stop()),
        );
      };
    },
  });
  return { store, goAway: () => (away = true) };
}

describe("shutdown while the store is unreachable", () => {
  it("keeps the grace period, then ends within shutdownGraceMs + 4 s", async () => {
    vi.useFakeTimers({ now: 0 });
    const { store, goAway } = storeThatGoesAway();
    let started = false;
    const stuck = step("stuck", () => ((started = true), forever()));
    const flow = workflow("stuck-flow", async (ctx) => stuck(ctx));
    const logger = recordingLogger();
    const engine = createEngine({ store, workflows: [flow], logger, shutdownGraceMs: 2_000 });
    await engine.launch();
    await engine.start(flow, undefined, { id: "s" });
    await vi.waitFor(() => expect(started).toBe(true));

    goAway();
    let done = false;
    void engine.shutdown().then(() => (done = true));
    await vi.advanceTimersByTimeAsync(1_999);
    expect(done).toBe(false); // the step still has its grace
    await vi.advanceTimersByTimeAsync(4_001);
    expect(done).toBe(true);
    const warnings = logger.lines.filter((line) => line.level === "warn").map((l) => l.message);
    expect(warnings).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^releasing the lease did not finish within 500 ms/),
        expect.stringMatching(/^closing the store did not finish within \d+ ms/),
      ]),
    );
  });
});
