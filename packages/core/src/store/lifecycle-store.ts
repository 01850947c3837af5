/**
 * The lifecycle role of the store contract: creating the schema, deleting old finished
 * workflows, whether only one process can open the store, and closing it. The contract suite's
 * `lifecycle/` files test it.
 */

/** Schema, retention, exclusivity, close. */
export interface LifecycleStore {
  /** Creates or upgrades the store's schema. Safe to call from many processes at once. */
  migrate(): Promise<void>;

  /**
   * Deletes up to `limit` workflows that finished (`SUCCESS`, `ERROR`, `CANCELLED`) before
   * `finishedBefore` (epoch ms, by `updatedAt`), with their steps, messages, events and streams.
   * Returns how many workflows it deleted.
   */
  deleteFinished(finishedBefore: number, limit: number): Promise<number>;

  /**
   * True when only one process can open this store at a time (PGlite's locked data directory,
   * the memory store): every other executor in it is gone, so launch takes over their work at
   * once instead of waiting for leases to expire.
   */
  readonly exclusive?: boolean;

  /** Releases connections and files. Calls after `close()` reject. */
  close(): Promise<void>;
}
