/**
 * Where a durable wait chooses between waiting in memory and leaving it (decision 0014): `recv`,
 * `getEvent`, `race` and a child's result each read the store, and when nothing is there yet ask
 * here. A wait that has waited the engine's `suspendAfterMs` in memory already (how long it will
 * still wait is rarely known: a message may come in a millisecond), with nothing else of its run
 * in flight, suspends the run with what it waits for (`WakeOn`) and its due time; the store checks
 * those arrivals in the same write, so one that came after the wait's last read makes the write
 * answer "arrived" and the wait reads again instead. Otherwise it waits in memory on its watch,
 * as before. A child's result read inside a workflow waits here too (`childResult`).
 */
import { WorkflowNotFoundError } from "../errors.js";
import type { WakeOn } from "../store/suspension-store.js";
import { wakeKeyOf } from "../store/suspension-store.js";
import type { Journal } from "./journal.js";
import { resultOf } from "./record-info.js";
import type { Watch } from "./wakeups.js";

/**
 * Whether a wait of `waitMs` should suspend the run instead: the engine's threshold allows it,
 * no other durable call or wait of the run is in flight (`own`: those of the asking wait), the
 * run is not replay-only, and the workflow's deadline has not passed (its expiry is under way:
 * the run waits for it here).
 */
export function maySuspend(journal: Journal, waitMs: number, own = 0): boolean {
  const { suspendAfterMs, replayOnly, clock } = journal.host;
  const { deadlineAt } = journal;
  return (
    suspendAfterMs !== undefined &&
    !replayOnly &&
    waitMs >= suspendAfterMs &&
    journal.busy === own &&
    (deadlineAt === undefined || deadlineAt > clock.now())
  );
}

/** What a wait that found nothing yet waits for. */
export interface Awaited {
  /** When (engine clock) the wait began. */
  readonly since: number;
  /** The calls of the waiting operation itself in flight (1 inside a durable call). */
  readonly own: number;
  /** How long it would wait at most: `Infinity` without a deadline. */
  readonly waitMs: number;
  /** Its due time (epoch ms), if it has one. */
  readonly wakeAt: number | undefined;
  /** What ends it sooner. */
  readonly wakeOn: readonly WakeOn[];
}

/**
 * Waits for something to read again: suspends the run when it may (and then, unless something
 * arrived meanwhile, never returns), else waits on `watch` up to `awaited.waitMs`.
 */
export async function waitOrSuspend(
  journal: Journal,
  watch: Watch,
  awaited: Awaited,
): Promise<void> {
  const threshold = journal.host.suspendAfterMs ?? Infinity;
  const waitedMs = journal.host.clock.now() - awaited.since;
  if (waitedMs >= threshold && maySuspend(journal, Infinity, awaited.own)) {
    await journal.suspend(awaited.wakeAt, awaited.wakeOn, () => watch.close());
    return; // something arrived before the suspension was written: read again
  }
  // In memory until something arrives, the deadline, or (to ask again) the threshold.
  await watch.next(Math.min(awaited.waitMs, threshold - waitedMs), journal.stopSignal);
}

/**
 * The result of workflow `workflowId` (a child), read inside the workflow of `journal`: its
 * output, or its error thrown, once it finished. Not a durable call (a replay reads it again),
 * but it suspends like one when it waits long.
 * @throws WorkflowNotFoundError when there is no such workflow
 */
export function childResult<T>(journal: Journal, workflowId: string): Promise<T> {
  const on: WakeOn = { kind: "status", workflowId };
  return journal.waitingOutside(async () => {
    const since = journal.host.clock.now();
    const watch = journal.host.wakeups.watch(wakeKeyOf(on));
    try {
      for (;;) {
        journal.throwIfStopped();
        const record = await journal.guard(
          () => journal.host.store.getWorkflow(workflowId),
          `the result of workflow ${workflowId}`,
        );
        if (!record) throw new WorkflowNotFoundError(workflowId);
        if (record.status !== "PENDING" && record.status !== "ENQUEUED") {
          return resultOf<T>(record, journal.host.serializer);
        }
        const awaited = { since, own: 1, waitMs: Infinity, wakeAt: undefined, wakeOn: [on] };
        await waitOrSuspend(journal, watch, awaited);
      }
    } finally {
      watch.close();
    }
  });
}
