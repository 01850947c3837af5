/**
 * Time as the cron scheduler sees it: the current epoch ms and an abortable sleep. The default is
 * the real clock; tests pass a manual one so nothing waits for a real minute to pass.
 */

/** A source of time for schedules. */
export interface QueueClock {
  now(): number;
  /** Resolves after `ms`, or rejects at once when `signal` aborts. */
  sleep(ms: number, signal: AbortSignal): Promise<void>;
}

/** setTimeout's ceiling; longer sleeps are chained. */
const MAX_TIMER_MS = 2_147_483_647;

/** The real clock. */
export const systemClock: QueueClock = {
  now: () => Date.now(),
  sleep: (ms, signal) =>
    new Promise<void>((resolve, reject) => {
      if (signal.aborted) return reject(signal.reason as Error);
      const until = Date.now() + ms;
      let timer: ReturnType<typeof setTimeout>;
      const arm = () => {
        const left = until - Date.now();
        if (left <= 0) return finish();
        timer = setTimeout(arm, Math.min(left, MAX_TIMER_MS));
      };
      const onAbort = () => {
        clearTimeout(timer);
        reject(signal.reason as Error);
      };
      const finish = () => {
        signal.removeEventListener("abort", onAbort);
        resolve();
      };
      signal.addEventListener("abort", onAbort, { once: true });
      arm();
    }),
};
