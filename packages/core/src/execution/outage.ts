/**
 * Whether the store is reachable, as one engine sees it. Every run and background loop that
 * meets a `StoreUnavailableError` reports it here and retries on its own; the monitor turns those
 * many failures into two events, one when the outage starts and one when a store call succeeds
 * again, so an outage of a few seconds logs two lines however many workflows were waiting. It
 * does not retry anything itself.
 */
import type { LifecycleEvent } from "../observer.js";

/** Tracks one engine's view of store outages. */
export class OutageMonitor {
  private since: number | undefined;
  private readonly executorId: string;
  private readonly emit: (event: LifecycleEvent) => void;

  constructor(executorId: string, emit: (event: LifecycleEvent) => void) {
    this.executorId = executorId;
    this.emit = emit;
  }

  /** True between a failure and the next success. */
  get active(): boolean {
    return this.since !== undefined;
  }

  /** A store call failed because the store is unavailable. */
  failed(error: unknown): void {
    if (this.since !== undefined) return;
    this.since = Date.now();
    this.emit({ type: "store.outage-started", executorId: this.executorId, error });
  }

  /** A store call succeeded: ends the outage, if there was one. */
  succeeded(): void {
    if (this.since === undefined) return;
    const durationMs = Date.now() - this.since;
    this.since = undefined;
    this.emit({ type: "store.outage-ended", executorId: this.executorId, durationMs });
  }
}
