/**
 * Wake-ups for everything that waits on the store: `recv`, `getEvent`, stream readers, handle
 * results, and the engine's pickup of work. Waiters register under a key (`message:<id>:<topic>`
 * ...) and are woken by the store's notifications when it pushes them; a periodic poll is the
 * fallback for setups that drop notifications (a transaction-mode pooler). Waiting never decides
 * anything: every waiter re-reads the store after waking.
 */
import type { Logger } from "../logger.js";
import type { StoreNotification, WorkflowStore } from "../store/workflow-store.js";

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
  }
}

/** Shared by an engine or a client and everything that waits through it. */
export class Wakeups {
  private readonly waiters = new Map<string, Set<() => void>>();
  private readonly listeners = new Set<(notification: StoreNotification) => void>();
  private unsubscribe: (() => Promise<void>) | undefined;
  private subscribing: Promise<void> | undefined;
  /** Whether the store pushes notifications (known once `start()` has run). */
  pushes = false;
  /** Longest a waiter sleeps before re-reading the store anyway. */
  readonly pollIntervalMs: number;
  private readonly store: WorkflowStore;
  private readonly logger: Logger;

  constructor(store: WorkflowStore, logger: Logger, pollIntervalMs: number) {
    this.store = store;
    this.logger = logger;
    this.pollIntervalMs = pollIntervalMs;
  }

  /** Subscribes to the store's notifications, once. Safe to call many times. */
  start(): Promise<void> {
    this.subscribing ??= this.subscribe();
    return this.subscribing;
  }

  /** Also tells `listener` about every notification (the engine reacts to status changes). */
  onNotification(listener: (notification: StoreNotification) => void): void {
    this.listeners.add(listener);
  }

  /**
   * Resolves when a notification for `key` arrives, after `maxWaitMs` (capped at the poll
   * interval), or when `signal` aborts — whichever is first. Never rejects: callers re-check.
   */
  wait(key: string, maxWaitMs: number, signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        signal?.removeEventListener("abort", done);
        const set = this.waiters.get(key);
        set?.delete(done);
        if (set?.size === 0) this.waiters.delete(key);
        resolve();
      };
      const timer = setTimeout(done, Math.max(0, Math.min(maxWaitMs, this.pollIntervalMs)));
      signal?.addEventListener("abort", done, { once: true });
      let set = this.waiters.get(key);
      if (!set) this.waiters.set(key, (set = new Set()));
      set.add(done);
    });
  }

  /** Wakes the waiters of `notification` (also used for changes made in this process). */
  notify(notification: StoreNotification): void {
    for (const wake of [...(this.waiters.get(wakeupKey(notification)) ?? [])]) wake();
    for (const listener of this.listeners) listener(notification);
  }

  /** Stops listening and wakes every waiter so it re-checks (and sees the engine is closing). */
  async stop(): Promise<void> {
    for (const set of [...this.waiters.values()]) for (const wake of [...set]) wake();
    await this.subscribing;
    const unsubscribe = this.unsubscribe;
    this.unsubscribe = undefined;
    await unsubscribe?.().catch((error: unknown) => {
      this.logger.warn("could not stop listening for store notifications", { error });
    });
  }

  private async subscribe(): Promise<void> {
    if (!this.store.subscribe) return;
    try {
      this.unsubscribe = await this.store.subscribe((n) => this.notify(n));
      this.pushes = true;
    } catch (error) {
      this.logger.warn("store notifications unavailable; falling back to polling", { error });
    }
  }
}
