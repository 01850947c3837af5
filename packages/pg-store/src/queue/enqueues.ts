/**
 * How enqueues reach the database. Single enqueues from many callers share a statement (group
 * commit: while one statement is in flight, the enqueues that arrive wait and go out together as
 * the next, so a hundred concurrent enqueues cost a few round trips, not a hundred; at low load
 * each goes alone, at once). An enqueue into the caller's own transaction runs alone inside it.
 * A bulk enqueue writes up to 1,000 items per statement, in the order given, with the outcome of
 * each as if they had been enqueued one after another. What a statement may not decide — a row
 * hidden by a concurrent commit, a dedup key held by a workflow that finished — is settled by
 * trying those items again, never by guessing; in a bulk enqueue outside the caller's
 * transaction, an ID inserted by a concurrent commit fails its statement instead (nothing
 * written) and the whole call is tried again, so a refusal it then meets leaves nothing behind.
 */
import { WorkflowConflictError } from "@cairn/core";
import type { EnqueueResult, NewQueueItem } from "@cairn/queue";
import { DatabaseUnavailableError } from "../errors.js";
import type { SqlExecutor, SqlQueryable } from "../executors/sql-executor.js";
import { createGroupCommit } from "../group-commit.js";
import {
  enqueueItems,
  isEnqueueRace,
  releaseDedup,
  type QueueItemStatements,
} from "../queries/queue-items.js";

/** Items per statement: keeps parameters and statement size bounded. */
export const MAX_ENQUEUE_BATCH = 1000;

/** Tries of an item whose outcome a concurrent write kept hiding. */
const RACE_TRIES = 5;

export interface Enqueues {
  /** One item: group-committed, or alone inside `into` (the caller's transaction). */
  one(item: NewQueueItem, into?: SqlQueryable): Promise<EnqueueResult>;
  /**
   * Many items in order; one transaction (the caller's with `into`), ≤ 1,000 per statement.
   * @throws WorkflowConflictError when an item's ID is held by a workflow of another name:
   *   nothing is written.
   */
  many(items: readonly NewQueueItem[], into?: SqlQueryable): Promise<EnqueueResult[]>;
}

export function createEnqueues(db: SqlExecutor, q: QueueItemStatements): Enqueues {
  /** An outcome to keep, or `undefined` to try the item again (after freeing a finished dedup). */
  const settled = async (
    into: SqlQueryable,
    item: NewQueueItem,
    result: EnqueueResult | undefined,
  ): Promise<EnqueueResult | undefined> => {
    if (result?.kind !== "duplicate" || item.dedupId === undefined) return result;
    const { status } = result.workflow;
    if (status === "ENQUEUED" || status === "PENDING") return result;
    await releaseDedup(into, q, item.queueName, item.dedupId); // its holder finished
    return undefined;
  };

  const grouped = createGroupCommit<NewQueueItem, EnqueueResult | undefined>({
    flush: (batch) => enqueueItems(db, q, batch),
    key: (item) => item.workflow.workflowId,
    maxBatch: MAX_ENQUEUE_BATCH,
    retryAlone: (error) => !DatabaseUnavailableError.is(error),
    // Callers an enqueue's commit resumes enqueue again from their continuations: one statement.
    gatherBurst: db.answersFromEventLoop,
  });

  /**
   * Outside a transaction, a workflow row of the ID committed after the statement's snapshot
   * fails the statement (nothing written) and the item is tried again, where it meets that row;
   * in the caller's transaction that unique violation reaches the caller (its transaction is
   * aborted, with nothing of the enqueue in it): try the transaction again.
   */
  const one = async (item: NewQueueItem, into?: SqlQueryable): Promise<EnqueueResult> => {
    const write = into
      ? async () => (await enqueueItems(into, q, [item]))[0]
      : () =>
          grouped.submit(item).catch((error: unknown) => {
            if (isEnqueueRace(error)) return undefined;
            throw error;
          });
    for (let i = 0; i < RACE_TRIES; i++) {
      const result = await settled(into ?? db, item, await write());
      if (result) return result;
    }
    throw raceError(item);
  };

  /**
   * Writes `items` in rounds until every one has its outcome; results in input order. A round's
   * statements (≤ 1,000 items each) are sent at once: one connection runs them in order while
   * this process encodes the next and reads the last. `failOnRace`: see `enqueueAll`.
   */
  const writeAll = async (
    into: SqlQueryable,
    items: readonly NewQueueItem[],
    failOnRace: boolean,
    split = splitRound(items, items.keys()),
  ): Promise<EnqueueResult[]> => {
    const results: (EnqueueResult | undefined)[] = new Array<undefined>(items.length);
    let [now, later] = split;
    for (let round = 0; now.length > 0; round++) {
      if (round >= RACE_TRIES + items.length) throw raceError(items[now[0] ?? 0] as NewQueueItem);
      const chunks: number[][] = [];
      for (let start = 0; start < now.length; start += MAX_ENQUEUE_BATCH) {
        chunks.push(now.slice(start, start + MAX_ENQUEUE_BATCH));
      }
      const batches = chunks.map((chunk) => chunk.map((index) => items[index] as NewQueueItem));
      const sent = batches.map((batch) => enqueueItems(into, q, batch, true, failOnRace));
      // Every statement is answered before any refusal: none is left running unheard.
      const answers = await Promise.allSettled(sent);
      for (const [c, answer] of answers.entries()) {
        if (answer.status === "rejected") throw answer.reason;
        const chunk = chunks[c] as number[];
        const batch = batches[c] as NewQueueItem[];
        const out = answer.value;
        batch.forEach((item, k) => refuseConflict(item, out[k]));
        for (const [k, index] of chunk.entries()) {
          const item = batch[k] as NewQueueItem;
          const result = out[k];
          // Most items are settled by the statement; only a finished dedup holder needs a write.
          const final = result?.kind === "duplicate" ? await settled(into, item, result) : result;
          if (final) results[index] = final;
          else later.push(index);
        }
      }
      [now, later] = splitRound(
        items,
        later.sort((a, b) => a - b),
      );
    }
    return results as EnqueueResult[];
  };

  return {
    one,
    many: async (items, into) => {
      if (items.length === 0) return [];
      if (into) return writeAll(into, items, false);
      // One statement commits alone; more go in one transaction, so all are written or none.
      // An ID inserted concurrently fails the statement (nothing written): the whole call is
      // tried again, and sees that row.
      // `split` is the first round; `writeAll` consumes it, so a try again computes its own.
      let split: ReturnType<typeof splitRound> | undefined = splitRound(items, items.keys());
      const oneStatement = items.length <= MAX_ENQUEUE_BATCH && split[1].length === 0;
      for (let attempt = 1; ; attempt++) {
        const first = split;
        split = undefined;
        try {
          return oneStatement
            ? await writeAll(db, items, true, first)
            : await db.transaction((tx) => writeAll(tx, items, true, first));
        } catch (error) {
          if (!isEnqueueRace(error) || attempt >= RACE_TRIES) throw error;
        }
      }
    },
  };
}

/**
 * The items of `waiting` that can share a statement: the first of each workflow ID and of each
 * dedup key (per queue). The others wait for the next round, where they see the earlier ones'
 * rows — which is what enqueueing them one after another would have shown them.
 */
function splitRound(
  items: readonly NewQueueItem[],
  waiting: Iterable<number>,
): [now: number[], later: number[]] {
  const now: number[] = [];
  const later: number[] = [];
  const ids = new Set<string>();
  const dedups = new Set<string>();
  for (const index of waiting) {
    const item = items[index] as NewQueueItem;
    const dedup = item.dedupId === undefined ? undefined : `${item.queueName}\0${item.dedupId}`;
    if (ids.has(item.workflow.workflowId) || (dedup !== undefined && dedups.has(dedup))) {
      later.push(index);
      continue;
    }
    ids.add(item.workflow.workflowId);
    if (dedup !== undefined) dedups.add(dedup);
    now.push(index);
  }
  return [now, later];
}

/** Throws when the item's ID is held by a workflow of another name (its batch wrote nothing). */
function refuseConflict(item: NewQueueItem, result: EnqueueResult | undefined): void {
  if (result?.kind !== "exists" || result.workflow.name === item.workflow.name) return;
  throw new WorkflowConflictError(
    item.workflow.workflowId,
    result.workflow.name,
    item.workflow.name,
  );
}

function raceError(item: NewQueueItem): Error {
  return new Error(
    `enqueue(${item.workflow.workflowId}): concurrent writes kept hiding the row; try again`,
  );
}
