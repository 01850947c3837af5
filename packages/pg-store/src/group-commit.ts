/**
 * Group commit without timers. The first call runs at once, alone. Calls that arrive while a
 * statement is in flight wait in a queue, and the whole queue goes out as ONE statement the
 * moment the previous one finishes. At low load nothing waits; under load each round trip
 * carries many rows. A caller's promise settles only after its own statement committed.
 *
 * With `gatherBurst`, "at once" and "the moment" mean one `process.nextTick` later: once every
 * promise continuation queued so far has run. When a commit resolves many callers and each calls
 * again from its continuation (a workflow's next step), those calls then share one statement.
 * Without it, the first of them went out alone and the others waited for its round trip: with
 * 100 three-step workflows in flight, every write was a statement of one or two rows followed by
 * one of the other ~98 (docs/benchmarks.md). Only for a driver whose answers come from the event
 * loop (`SqlExecutor.answersFromEventLoop`): with PGlite's in-process answers, a tick would wait
 * until no continuation is left at all.
 */
import { nextTick } from "node:process";

/** Batches calls into one `flush` at a time. */
export interface GroupCommit<I, O> {
  /** Queues `item`; resolves with its result once the statement that carried it committed. */
  submit(item: I): Promise<O>;
  /** Resolves once nothing is queued or in flight. */
  idle(): Promise<void>;
}

/** How to batch. */
export interface GroupCommitOptions<I, O> {
  /** Writes a batch in one statement; returns one result per item, in order. */
  readonly flush: (items: readonly I[]) => Promise<readonly O[]>;
  /** Items with equal keys never share a batch (a later one waits for the next flush). */
  readonly key: (item: I) => string;
  /** Most items in one statement. */
  readonly maxBatch: number;
  /**
   * Whether a failed batch should be retried item by item, so one bad item fails only its own
   * caller. Connection errors should answer false: retrying would fail the same way.
   */
  readonly retryAlone: (error: unknown) => boolean;
  /** Whether a flush first waits for the calls of the current burst (see above). */
  readonly gatherBurst?: boolean | undefined;
}

interface Waiter<I, O> {
  readonly item: I;
  readonly resolve: (result: O) => void;
  readonly reject: (error: unknown) => void;
}

export function createGroupCommit<I, O>(options: GroupCommitOptions<I, O>): GroupCommit<I, O> {
  let queue: Waiter<I, O>[] = [];
  let running: Promise<void> | undefined;

  const takeBatch = (): Waiter<I, O>[] => {
    if (queue.length === 1) {
      // The sequential case (nothing else waited): no keys to compare.
      const batch = queue;
      queue = [];
      return batch;
    }
    const keys = new Set<string>();
    const batch: Waiter<I, O>[] = [];
    const rest: Waiter<I, O>[] = [];
    for (const waiter of queue) {
      const key = options.key(waiter.item);
      if (batch.length < options.maxBatch && !keys.has(key)) {
        keys.add(key);
        batch.push(waiter);
      } else {
        rest.push(waiter);
      }
    }
    queue = rest;
    return batch;
  };

  const settle = async (batch: readonly Waiter<I, O>[]): Promise<void> => {
    try {
      const results = await options.flush(batch.map((w) => w.item));
      batch.forEach((w, i) => w.resolve(results[i] as O));
    } catch (error) {
      if (batch.length > 1 && options.retryAlone(error)) {
        for (const waiter of batch) await settle([waiter]);
      } else {
        for (const waiter of batch) waiter.reject(error);
      }
    }
  };

  const burst = (): Promise<void> => new Promise((resolve) => nextTick(resolve));

  const drain = async (): Promise<void> => {
    while (queue.length > 0) {
      if (options.gatherBurst) await burst();
      await settle(takeBatch());
    }
    running = undefined;
  };

  return {
    submit(item) {
      return new Promise<O>((resolve, reject) => {
        queue.push({ item, resolve, reject });
        running ??= drain(); // starts the statement now (or after the burst) if none is in flight
      });
    },
    async idle() {
      while (running) await running;
    },
  };
}
