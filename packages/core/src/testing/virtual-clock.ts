/**
 * A virtual clock for tests: durable time stands still until the test moves it. Give it to
 * `createEngine({ clock })` (and to `createQueues({ clock })` for cron ticks); then sleeps,
 * timeouts, recv/getEvent deadlines, race timers, step timeouts and retry backoff end when
 * `advance()` passes their time, so a workflow that sleeps a day is tested in milliseconds. It
 * moves only durable time: polls, heartbeats and the store's own timestamps stay real.
 */
import type { Clock } from "../clock.js";
import { toMs, type Duration } from "../duration.js";
import { InvalidOptionError } from "../errors.js";

/** A clock the test drives. Create with {@link createVirtualClock}. */
export interface VirtualClock extends Clock {
  /**
   * Moves time forward by `duration` (`"1h"`, `"30s"`, or ms), waking every sleeper whose time
   * comes, in order, and letting the work they start run before moving on.
   */
  advance(duration: Duration): Promise<void>;
  /** Moves time forward to the next sleeper's wake-up time and wakes it; false if none waits. */
  advanceToNext(): Promise<boolean>;
  /** Resolves once at least `count` sleepers are waiting (default 1): the workflow got there. */
  untilSleeping(count?: number): Promise<void>;
  /** How many sleepers are waiting on this clock. */
  readonly sleeping: number;
}

interface Sleeper {
  readonly at: number;
  readonly order: number;
  readonly wake: () => void;
}

/** How many event-loop turns `advance` gives woken work to settle before it looks again. */
const SETTLE_TURNS = 20;

/**
 * Creates a virtual clock starting at `start` (default: the real time now).
 *
 * @example
 * const clock = createVirtualClock();
 * const engine = createEngine({ store: createMemoryStore(), workflows: [reminder], clock });
 * await engine.launch();
 * const handle = await engine.start(reminder, "ada");
 * await clock.untilSleeping();   // the workflow is inside ctx.sleep("1d")
 * await clock.advance("1d");
 * expect(await handle.result()).toBe("reminded ada");
 */
export function createVirtualClock(start: number | Date = Date.now()): VirtualClock {
  let now = typeof start === "number" ? start : start.getTime();
  if (!Number.isFinite(now))
    throw new InvalidOptionError("createVirtualClock start", "expected a time");
  let order = 0;
  const sleepers = new Set<Sleeper>();
  const watchers = new Set<() => void>();
  const changed = () => watchers.forEach((watcher) => watcher());

  const wakeNext = async (limit: number): Promise<boolean> => {
    let next: Sleeper | undefined;
    for (const sleeper of sleepers) {
      if (
        sleeper.at <= limit &&
        (!next || sleeper.at < next.at || (sleeper.at === next.at && sleeper.order < next.order))
      ) {
        next = sleeper;
      }
    }
    if (!next) return false;
    now = Math.max(now, next.at);
    sleepers.delete(next);
    next.wake();
    await settle();
    return true;
  };

  return {
    now: () => now,
    sleep(ms, signal) {
      return new Promise<void>((resolve, reject) => {
        if (signal.aborted) return reject(signal.reason as Error);
        const onAbort = () => {
          sleepers.delete(sleeper);
          reject(signal.reason as Error);
        };
        const sleeper: Sleeper = {
          at: now + Math.max(0, ms),
          order: order++,
          wake: () => {
            signal.removeEventListener("abort", onAbort);
            resolve();
          },
        };
        signal.addEventListener("abort", onAbort, { once: true });
        if (!Number.isFinite(ms)) return; // waits only for its signal: not a sleeper to wake
        sleepers.add(sleeper);
        changed();
      });
    },
    async advance(duration) {
      const target = now + toMs(duration, "clock.advance duration");
      await settle();
      while (await wakeNext(target));
      now = Math.max(now, target);
      await settle();
    },
    async advanceToNext() {
      await settle();
      return wakeNext(Number.POSITIVE_INFINITY);
    },
    untilSleeping(count = 1) {
      return new Promise<void>((resolve) => {
        const check = () => {
          if (sleepers.size < count) return;
          watchers.delete(check);
          resolve();
        };
        watchers.add(check);
        check();
      });
    },
    get sleeping() {
      return sleepers.size;
    },
  };
}

/** Lets woken work run: a few turns of the event loop (promises, store calls, timers at 0). */
async function settle(): Promise<void> {
  for (let turn = 0; turn < SETTLE_TURNS; turn++) {
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
}
