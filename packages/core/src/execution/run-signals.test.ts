import { describe, expect, it } from "vitest";
import { RunSignals } from "./run-signals.js";

const signals = () => {
  let built = 0;
  const run = new RunSignals(() => new Error(`ended #${++built}`));
  return { run, built: () => built };
};

describe("RunSignals", () => {
  it("builds the end error only when a call or a signal needs it, and only once", () => {
    const { run, built } = signals();
    run.end();
    expect(run.ended).toBe(true);
    expect(built()).toBe(0);
    expect(() => run.throwIfEnded()).toThrow("ended #1");
    expect(() => run.throwIfEnded()).toThrow("ended #1");
    expect(run.waitSignal.reason).toEqual(new Error("ended #1"));
    expect(built()).toBe(1);
  });

  it("aborts signals made before a stop with its reason, the wait and backoff ones only", () => {
    const { run } = signals();
    const wait = run.waitSignal;
    const attempt = run.attemptSignal;
    const backoff = run.stopSignal;
    const reason = new Error("cancelled");
    expect(run.stop(reason)).toBe(true);
    expect(run.stop(new Error("again"))).toBe(false);
    expect([wait.reason, backoff.reason]).toEqual([reason, reason]);
    expect(attempt.aborted).toBe(false);
    run.abandon(reason);
    expect(attempt.reason).toBe(reason);
    run.end();
    expect(wait.reason).toBe(reason); // the first reason stays
  });

  it("makes a late signal already aborted with the reason that came first", () => {
    const stopThenEnd = signals().run;
    const stop = new Error("stop");
    stopThenEnd.stop(stop);
    stopThenEnd.end();
    expect(stopThenEnd.waitSignal.reason).toBe(stop);
    expect(stopThenEnd.attemptSignal.reason).toEqual(new Error("ended #1"));

    const endThenStop = signals().run;
    endThenStop.end();
    endThenStop.stop(new Error("late"));
    expect(endThenStop.waitSignal.reason).toEqual(new Error("ended #1"));
    expect(endThenStop.stopSignal.reason).toEqual(new Error("late"));
  });

  it("ends signals made before the end with the end error", () => {
    const { run } = signals();
    const wait = run.waitSignal;
    const attempt = run.attemptSignal;
    run.end();
    expect(wait.reason).toBe(attempt.reason);
    expect(wait.reason).toEqual(new Error("ended #1"));
    expect(() => run.throwIfStopped()).not.toThrow();
  });

  it("races a body called on a later microtask: its value, its throw, a thenable's outcome", async () => {
    const { run } = signals();
    const calls: string[] = [];
    const raced = run.raceBody(() => {
      calls.push("body");
      return 1;
    });
    calls.push("after the call");
    await expect(raced).resolves.toBe(1);
    expect(calls).toEqual(["after the call", "body"]);
    const thrown = new Error("sync throw");
    await expect(
      run.raceBody(() => {
        throw thrown;
      }),
    ).rejects.toBe(thrown);
    const thenable = { then: (ok: (v: string) => void) => ok("from a thenable") };
    await expect(run.raceBody(() => thenable)).resolves.toBe("from a thenable");
    const nested = { then: (ok: (v: unknown) => void) => ok(Promise.resolve("nested")) };
    await expect(run.raceBody(() => nested)).resolves.toBe("nested");
    await expect(run.raceBody(() => Promise.reject(thrown))).rejects.toBe(thrown);
  });

  it("rejects racing bodies with the abandon reason, and refuses to race once abandoned", async () => {
    const { run } = signals();
    let finish: (value: string) => void = () => undefined;
    const first = run.raceBody(() => new Promise<string>((resolve) => (finish = resolve)));
    const second = run.raceBody(() => new Promise<string>(() => undefined));
    await Promise.resolve(); // both bodies are running now
    const reason = new Error("abandoned");
    run.abandon(reason);
    finish("too late");
    await expect(first).rejects.toBe(reason);
    await expect(second).rejects.toBe(reason);
    let called = false;
    expect(() =>
      run.raceBody(() => {
        called = true;
      }),
    ).toThrow(reason);
    await Promise.resolve();
    expect(called).toBe(false);
  });
});
