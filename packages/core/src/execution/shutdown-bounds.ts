/**
 * Time limits for the parts of `engine.shutdown()` that talk to the store. A database that went
 * away must not hold a shutdown: the plugins' stops share the grace period with the runs,
 * marking the executor stopped and unlistening get a short wait, and the store's `close()`
 * whatever is left of the margin. What
 * does not finish in time goes on in the background and is logged; nothing here decides anything
 * about workflows (they stay PENDING for the next launch or a takeover).
 */
import type { Logger } from "../logger.js";

/** How long after `shutdownGraceMs` a shutdown may take at most. Documented in docs/api.md. */
export const SHUTDOWN_MARGIN_MS = 4_000;
/** The wait for marking the executor stopped and unlistening, after the runs stopped. */
export const SHUTDOWN_PHASE_MS = 500;

/**
 * Waits for `work` at most `ms`; logs (never throws) when it failed or is still running then.
 * The timer is cleared as soon as `work` settles, so nothing is left to keep the process alive.
 */
export async function settleWithin(
  work: Promise<unknown>,
  ms: number,
  what: string,
  logger: Logger,
): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<"late">((resolve) => {
    timer = setTimeout(() => resolve("late"), Math.max(0, ms));
  });
  const done = work.then(
    () => "done" as const,
    (error: unknown) => {
      logger.warn(`${what} failed during shutdown`, { error });
      return "done" as const;
    },
  );
  try {
    if ((await Promise.race([done, late])) === "late") {
      logger.warn(`${what} did not finish within ${ms} ms; shutdown goes on without it`);
    }
  } finally {
    clearTimeout(timer);
  }
}
