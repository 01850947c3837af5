/**
 * The engine's background loops, each on its own timer and none ever throwing: the heartbeat
 * (every third of `leaseMs`, advertising the workflow names this engine runs), the takeover of
 * executors whose lease expired (on a timer of its own, so claiming and loading work never
 * delays a heartbeat), the poll behind notifications, and retention (deleting old finished
 * workflows in batches). A failure is logged and retried on the next tick; an outage is reported
 * once when it starts and once when it ends.
 */
import { StoreUnavailableError } from "../errors.js";
import type { Logger } from "../logger.js";
import type { WorkflowStore } from "../store/workflow-store.js";
import type { OutageMonitor } from "./outage.js";
import { delay } from "./delay.js";
import type { Pickup } from "./pickup.js";
import type { Recovery } from "./recovery.js";

/** Deleting finished workflows after a while. Off unless configured. */
export interface RetentionOptions {
  /** Delete workflows that finished (SUCCESS, ERROR, CANCELLED) longer ago than this. */
  readonly finishedOlderThanMs: number;
  /** How often to look. Default 60,000 ms. */
  readonly intervalMs?: number;
  /** Workflows deleted per statement. Default 1,000. */
  readonly batchSize?: number;
}

/** What the loops need. */
export interface BackgroundDeps {
  readonly store: WorkflowStore;
  /** Takes over the workflows of executors whose lease expired. */
  readonly recovery: Recovery;
  /** Picks up what notifications missed. */
  readonly pickup: Pickup;
  readonly logger: Logger;
  /** Where store outages are reported (once per outage, engine-wide). */
  readonly outage: OutageMonitor;
  readonly executorId: string;
  readonly appVersion: string | undefined;
  /** The workflow names this engine runs, advertised with every heartbeat. */
  workflowNames(): readonly string[];
  readonly leaseMs: number;
  readonly pollIntervalMs: number;
  readonly retention: RetentionOptions | undefined;
}

/** Starts the loops; `stop()` ends them. */
export class Background {
  private readonly stopped = new AbortController();
  private readonly deps: BackgroundDeps;
  /** When a heartbeat or takeover last met an outage; takeovers wait a lease after one. */
  private lastOutageAt = 0;
  /** Heartbeats under way: the stop waits for them, so none lands after it and revives us. */
  private readonly beating = new Set<Promise<void>>();

  constructor(deps: BackgroundDeps) {
    this.deps = deps;
  }

  /** Sends the first heartbeat (so this executor is alive before it claims anything). */
  heartbeat(): Promise<void> {
    const { store, executorId, appVersion, leaseMs } = this.deps;
    const beat = store.heartbeat({
      executorId,
      appVersion,
      leaseMs,
      workflowNames: this.deps.workflowNames(),
    });
    this.beating.add(beat);
    const done = () => void this.beating.delete(beat);
    void beat.then(done, done);
    return beat;
  }

  /**
   * Renews the lease (a heartbeat now, then every third of `leaseMs`) until `signal` aborts or
   * the loops stop: a launch that failed keeps it while it stops the runs it started, before the
   * lease loop ever began. Each beat is tracked as the loop's are, so `stop()` and
   * {@link beatsSettled} wait for those under way.
   */
  keepLeaseUntil(signal: AbortSignal): void {
    const until = AbortSignal.any([signal, this.stopped.signal]);
    if (until.aborted) return;
    void this.keepLease().then(
      () => this.deps.outage.succeeded(),
      (error: unknown) => this.failed(error),
    );
    this.every(this.deps.leaseMs / 3, () => this.keepLease(), 0.2, until);
  }

  /** Waits for the heartbeats under way (none starts after the signal that ended them). */
  async beatsSettled(): Promise<void> {
    await Promise.allSettled([...this.beating]);
  }

  start(): void {
    const { leaseMs, pollIntervalMs, retention } = this.deps;
    this.every(leaseMs / 3, () => this.keepLease(), 0.2);
    this.every(leaseMs / 3, () => this.takeOver(), 0.2);
    this.every(pollIntervalMs, () => this.deps.pickup.poll(), 0);
    if (retention) this.every(retention.intervalMs ?? 60_000, () => this.retain(retention), 0);
  }

  /** Ends the loops and marks this executor stopped, so others take its work at once. */
  async stop(): Promise<void> {
    this.stopped.abort();
    // A heartbeat that landed after the stop would mark this executor alive again: others would
    // wait out its lease before taking its workflows over.
    await this.beatsSettled();
    await this.deps.store.stopExecutor(this.deps.executorId).catch((error: unknown) => {
      this.deps.logger.warn("could not mark this executor stopped; others wait for its lease", {
        error,
      });
    });
  }

  private async keepLease(): Promise<void> {
    try {
      await this.heartbeat();
    } catch (error) {
      this.lastOutageAt = Date.now();
      throw error;
    }
  }

  private async takeOver(): Promise<void> {
    // After our own outage every lease looks expired; give the others a lease to heartbeat.
    if (Date.now() - this.lastOutageAt < this.deps.leaseMs) return;
    try {
      await this.deps.recovery.takeOver();
    } catch (error) {
      if (StoreUnavailableError.is(error)) this.lastOutageAt = Date.now();
      throw error;
    }
  }

  private async retain(retention: RetentionOptions): Promise<void> {
    const batchSize = retention.batchSize ?? 1_000;
    const before = Date.now() - retention.finishedOlderThanMs;
    let deleted = batchSize;
    while (deleted === batchSize && !this.stopped.signal.aborted) {
      deleted = await this.deps.store.deleteFinished(before, batchSize);
      if (deleted > 0) this.deps.logger.debug(`retention deleted ${deleted} finished workflows`);
    }
  }

  /** An outage is reported once by the monitor; anything else on every tick that meets it. */
  private failed(error: unknown): void {
    if (StoreUnavailableError.is(error)) this.deps.outage.failed(error);
    else this.deps.logger.warn("a background check of the store failed; retrying", { error });
  }

  /** Runs `tick` every `intervalMs` (with up to `jitter` of it added) until `signal` aborts. */
  private every(
    intervalMs: number,
    tick: () => Promise<void>,
    jitter: number,
    signal: AbortSignal = this.stopped.signal,
  ): void {
    const loop = async () => {
      while (!signal.aborted) {
        await delay(intervalMs * (1 + Math.random() * jitter), signal).catch(() => undefined);
        if (signal.aborted) return;
        await tick().then(
          () => this.deps.outage.succeeded(),
          (error: unknown) => this.failed(error),
        );
      }
    };
    void loop();
  }
}
