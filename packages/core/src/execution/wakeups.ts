/**
 * Wake-ups for everything that waits on the store: `recv`, `getEvent`, stream readers, handle
 * results, races, and the engine's pickup of work. A waiter opens a watch on keys
 * (`message:<id>:<topic>` ...) BEFORE it reads the store, so a notification that arrives between
 * its read and its wait is never lost; notifications come from the store when it pushes them, and
 * a periodic re-read (`pollIntervalMs`) is the fallback for setups that drop them (a
 * transaction-mode pooler). Waking never decides anything: every waiter re-reads the store.
 */
import { systemClock, type Clock } from "../clock.js";
import type { Logger } from "../logger.js";
import type { StoreNotification } from "../store/messaging-store.js";
import type { WorkflowStore } from "../store/workflow-store.js";

/** The key a waiter registers under for a notification. */
export function wakeupKey(notification: StoreNotification): string {
  switch (notification.kind) {
    case "message":
      return `message:${notification.workflowId}:${notification.topic}`;
    case "event":
      return `event:${notification.workflowId}:${notification.key}`;
    case "stream":
      return `stream:${notification.workflowId}:${notification.key}`;
    case "status":
      return `status:${notification.workflowId}`;
    case "wake":
      return `wake:${notification.workflowId}`;
  }
}

/** An open interest in some keys: remembers a notification until the next `next()`. */
export class Watch {
  private fired = false;
  /** The keys notified since the last `takeFiredKeys()`, and whether a wake-up named none. */
  private firedKeys: Set<string> | undefined;
  private firedAll = false;
  private wake: (() => void) | undefined;
  private readonly release: () => void;
  private readonly pollIntervalMs: number;
  private readonly clock: Clock;

  constructor(release: () => void, pollIntervalMs: number, clock: Clock = systemClock) {
    this.release = release;
    this.pollIntervalMs = pollIntervalMs;
    this.clock = clock;
  }

  /**
   * Called by `Wakeups` when one of the watched keys is notified (`key`), or when every waiter
   * must re-check (no key: the engine is closing, or something changed that no key names).
   */
  fire(key?: string): void {
    this.fired = true;
    if (key === undefined) this.firedAll = true;
    else (this.firedKeys ??= new Set()).add(key);
    this.wake?.();
  }

  /**
   * The keys notified since the last call, and forgets them; undefined when a wake-up did not
   * say which (re-check everything). For a waiter on many keys that re-reads only what changed.
   */
  takeFiredKeys(): ReadonlySet<string> | undefined {
    const keys = this.firedAll ? undefined : (this.firedKeys ?? new Set<string>());
    this.firedKeys = undefined;
    this.firedAll = false;
    return keys;
  }

  /**
   * Resolves at once if a watched key was notified since the last call, else at the next
   * notification, after `maxWaitMs` (capped at the poll interval), or when `signal` aborts.
   * Never rejects: callers re-read the store.
   */
  next(maxWaitMs: number, signal?: AbortSignal): Promise<void> {
    if (this.fired || signal?.aborted) {
      this.fired = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      // On a virtual clock `maxWaitMs` passes when the test advances it; the poll stays real.
      // Only then is there a sleep to stop: an AbortController made and aborted at every
      // wake-up (abort() builds a DOMException) was most of a recv's wake path in this process.
      const real = this.clock === systemClock;
      const virtualTime = real ? undefined : new AbortController();
      const done = () => {
        clearTimeout(timer);
        virtualTime?.abort();
        signal?.removeEventListener("abort", done);
        this.wake = undefined;
        this.fired = false;
        resolve();
      };
      const pollMs = real ? Math.min(maxWaitMs, this.pollIntervalMs) : this.pollIntervalMs;
      const timer = setTimeout(done, Math.max(0, pollMs));
      if (virtualTime) this.clock.sleep(maxWaitMs, virtualTime.signal).then(done, () => undefined);
      signal?.addEventListener("abort", done, { once: true });
      this.wake = done;
    });
  }

  /** Stops watching. */
  close(): void {
    this.wake?.();
    this.release();
  }
}

/** Shared by an engine or a client and everything that waits through it. */
export class Wakeups {
  /** Whether the store pushes notifications (known once `start()` has run). */
  pushes = false;
  /** Longest a waiter sleeps before re-reading the store anyway. */
  readonly pollIntervalMs: number;
  private readonly watches = new Map<string, Set<Watch>>();
  private readonly listeners = new Set<(notification: StoreNotification) => void>();
  private unsubscribe: (() => Promise<void>) | undefined;
  private subscribing: Promise<void> | undefined;
  private readonly store: WorkflowStore;
  private readonly logger: Logger;

  private readonly clock: Clock;

  constructor(
    store: WorkflowStore,
    logger: Logger,
    pollIntervalMs: number,
    clock: Clock = systemClock,
  ) {
    this.store = store;
    this.logger = logger;
    this.pollIntervalMs = pollIntervalMs;
    this.clock = clock;
  }

  /** The current subscription's gate: what it hears is delivered only while `open`. */
  private gate: { open: boolean } | undefined;
  /**
   * Why a held subscription could not listen: logged by {@link launched}, when the engine goes
   * on polling instead. A launch that fails meanwhile (its recovery included) says nothing of
   * it; its relaunch listens again.
   */
  private listenFailure: { error: unknown } | undefined;

  /**
   * Subscribes to the store's notifications, once. Safe to call many times. `held`: deliver
   * nothing until {@link release} (an engine listens alongside its first heartbeat and must hear
   * nothing before it); what arrives meanwhile is dropped.
   */
  start(options: { held?: boolean } = {}): Promise<void> {
    this.subscribing ??= this.subscribe(options.held !== true);
    return this.subscribing;
  }

  /** Delivers notifications from now on (those dropped while held are not replayed). */
  release(): void {
    if (this.gate) this.gate.open = true;
  }

  /** The launch is done: says now if the engine goes on polling because it could not listen. */
  launched(): void {
    this.reportUnavailable();
  }

  /** Also tells `listener` about every notification (the engine reacts to status changes). */
  onNotification(listener: (notification: StoreNotification) => void): void {
    this.listeners.add(listener);
  }

  /** Opens a watch on `keys`. Open it before reading the store; close it when done. */
  watch(...keys: string[]): Watch {
    const watch: Watch = new Watch(
      () => {
        for (const key of keys) {
          const set = this.watches.get(key);
          set?.delete(watch);
          if (set?.size === 0) this.watches.delete(key);
        }
      },
      this.pollIntervalMs,
      this.clock,
    );
    for (const key of keys) {
      let set = this.watches.get(key);
      if (!set) this.watches.set(key, (set = new Set()));
      set.add(watch);
    }
    return watch;
  }

  /** Wakes the watchers of `notification` (also used for changes made in this process). */
  notify(notification: StoreNotification): void {
    const key = wakeupKey(notification);
    for (const watch of [...(this.watches.get(key) ?? [])]) watch.fire(key);
    for (const listener of this.listeners) listener(notification);
  }

  /** Stops listening and wakes every watcher so it re-checks (and sees the engine is closing). */
  async stop(): Promise<void> {
    for (const set of [...this.watches.values()]) for (const watch of [...set]) watch.fire();
    // Closed for good: postgres.js listens again after a reconnect, even for a LISTEN that failed.
    if (this.gate) this.gate.open = false;
    this.gate = undefined;
    await this.subscribing;
    this.subscribing = undefined; // a relaunch after a failed launch subscribes again
    this.listenFailure = undefined;
    const unsubscribe = this.unsubscribe;
    this.unsubscribe = undefined;
    await unsubscribe?.().catch((error: unknown) => {
      this.logger.warn("could not stop listening for store notifications", { error });
    });
  }

  private async subscribe(open: boolean): Promise<void> {
    if (!this.store.subscribe) return;
    const gate = { open };
    this.gate = gate;
    try {
      this.unsubscribe = await this.store.subscribe((n) => {
        if (gate.open) this.notify(n);
      });
      this.pushes = true;
    } catch (error) {
      this.listenFailure = { error };
      if (open) this.reportUnavailable();
    }
  }

  private reportUnavailable(): void {
    const failure = this.listenFailure;
    this.listenFailure = undefined;
    if (!failure) return;
    this.logger.warn(
      `store notifications unavailable; polling every ${this.pollIntervalMs} ms instead`,
      { error: failure.error },
    );
  }
}
