/**
 * The parked waits of one run: the waits that may leave memory (suspend) and the suspension one
 * of them is writing. A field of the journal; kept apart from `suspending-waits.ts`, which
 * drives them, so that the journal and that file do not import each other.
 */
import type { WakeOn } from "../store/suspension-store.js";

/** A wait parked in memory, as the run's suspension sees it. */
export interface Parked {
  /** Its share of the run's `busy` count while it waits. */
  readonly own: number;
  readonly wakeAt: number | undefined;
  readonly wakeOn: readonly WakeOn[];
  /** Whether it may leave memory at `now`. */
  eligible(now: number, threshold: number): boolean;
  /** Makes it read again (an arrival the suspension write found). */
  readonly wake: () => void;
  /** Stops its watch: the run suspended. */
  readonly close: () => void;
}

/** The parked waits of one run, and the suspension one of them is writing. */
export interface Parking {
  readonly parked: Set<Parked>;
  /** While a suspension is being written: resolves with whether it was (the run then ended). */
  writing: Promise<boolean> | undefined;
  /** Whether a look at the parked waits (after a call settled) is scheduled. */
  looking: boolean;
}
