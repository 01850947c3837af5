/**
 * A real-time wait that an abort signal ends early: the backoff of store retries and step
 * attempts, the shutdown grace period. Durable time (sleeps, deadlines) goes through the clock.
 */

/** Waits `ms`, rejecting with the signal's reason if it aborts first. */
export function delay(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason as Error);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal.reason as Error);
    };
    // setTimeout caps at 2^31-1 ms; longer waits are chained.
    const chunk = Math.min(ms, 2_147_483_647);
    const timer = setTimeout(() => {
      signal.removeEventListener("abort", onAbort);
      if (chunk < ms) delay(ms - chunk, signal).then(resolve, reject);
      else resolve();
    }, chunk);
    signal.addEventListener("abort", onAbort, { once: true });
  });
}
