/**
 * How long a wait may last: inside a workflow (`recv`, `getEvent`: the deadline is checkpointed)
 * and outside one (`result`, `waitFirst`, `waitAll`: the caller gives up, the workflows run on).
 */
import type { Duration } from "./duration.js";

/** Options of waits that may time out (`recv`, `getEvent`). */
export interface WaitOptions {
  /** Give up after this long and return `undefined`. The deadline is checkpointed. */
  readonly timeoutMs?: Duration;
}

/** Options of waits from outside a workflow. */
export interface WaitForOptions {
  /** Give up after this long with `ResultTimeoutError` (the workflows keep running). Default: wait. */
  readonly timeoutMs?: Duration;
}
