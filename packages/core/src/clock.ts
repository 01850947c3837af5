/**
 * Durable time as the engine reads it: the current epoch ms and an abortable sleep. Everything a
 * workflow waits for in durable time goes through one — `ctx.sleep`, `ctx.now`, recv and
 * getEvent deadlines, race timers, step timeouts, retry backoff, workflow timeouts. The default
 * is the real clock; tests pass a virtual one (`createVirtualClock` in `@cairn/core/testing`) so
 * a workflow that sleeps a day runs in milliseconds. Infrastructure timing (polls, heartbeats,
 * leases, store retries) stays on real time: it is about processes, not about workflows.
 */
import { delay } from "./execution/delay.js";

/** A source of durable time. `@cairn/queue` schedules accept the same shape. */
export interface Clock {
  /** The current time, epoch ms. */
  now(): number;
  /** Resolves after `ms` of this clock's time, or rejects with the reason when `signal` aborts. */
  sleep(ms: number, signal: AbortSignal): Promise<void>;
}

/** Real time: `Date.now()` and timers. */
export const systemClock: Clock = {
  now: () => Date.now(),
  sleep: (ms, signal) => delay(ms, signal),
};
