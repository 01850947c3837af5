/**
 * What the compare scenarios need from a system: run a workflow of 20, 3 or 0 trivial steps to
 * its result; enqueue one trivial item, or many in one call; serve a queue; start half-done
 * workflows and recover them. Each system's adapter (cairn.ts, dbos.ts, pg-boss.ts) maps these
 * onto that system's public API with its defaults, and leaves out what the system does not have
 * (with the reason the table prints as "n/a").
 */
export interface Closable {
  close(): Promise<void>;
}

export interface WorkflowRunner extends Closable {
  runTwentySteps(): Promise<unknown>;
  runThreeSteps(): Promise<unknown>;
  /** Start and finish only: subtracted to get statements per step. */
  runNoSteps(): Promise<unknown>;
}

export interface Enqueuer extends Closable {
  /** Puts one trivial item on the backlog queue; resolves once the enqueue is durable. */
  enqueue(n: number): Promise<unknown>;
  /** Puts one trivial item on a queue nobody serves (warm-up that leaves the backlog alone). */
  enqueueWarmup(n: number): Promise<unknown>;
  /** Puts all of `ns` on a queue nobody serves in one call; absent where there is no such call. */
  enqueueMany?: (ns: readonly number[]) => Promise<unknown>;
}

export interface SystemAdapter {
  /** The schema its tables live in, replaced by `<schema>` in statement keys. */
  readonly schema: string;
  /** Absent for a job queue without workflows. */
  readonly workflows?: (url: string) => Promise<WorkflowRunner>;
  readonly enqueuer: (url: string, concurrency: number, pollMs: number) => Promise<Enqueuer>;
  /** Starts serving the backlog queue (`concurrency` at once); resolves once it serves. */
  readonly drainer: (url: string, concurrency: number) => Promise<Closable>;
  /**
   * SQL counting the backlog's finished items, with the time the last one finished as the system
   * records it (one row: n, and last_ms in epoch milliseconds; see `pollCount`).
   */
  readonly backlogDone: string;
  readonly recovery?: {
    /** Starts `count` 10-step workflows; each calls `parked` when it blocks in step 6. */
    crash(url: string, count: number, parked: () => void): Promise<void>;
    /** Launches the same executor, which recovers them; resolves after launch. */
    recover(url: string): Promise<Closable>;
    /** Counts the recovered workflows that finished, with the last one's time, as `backlogDone`. */
    readonly done: string;
  };
}

export const BACKLOG = "bench-backlog";
export const WARMUP_QUEUE = "bench-warmup";
export const BULK_QUEUE = "bench-bulk";
