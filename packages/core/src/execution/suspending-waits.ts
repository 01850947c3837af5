/**
 * Where durable waits choose between waiting in memory and leaving it (decision 0014): `sleep`,
 * `recv`, `getEvent`, `race` and a child's result each read the store (a sleep: its checkpointed
 * wake-up time), and when nothing is there yet park here. The run suspends — once, for all of
 * them — when every durable call and wait of the run in flight is parked here and each may leave
 * memory: a sleep with at least the engine's `suspendAfterMs` left, a wait for an arrival that
 * has waited that long in memory already (how long it will still wait is rarely known: a message
 * may come in a millisecond). The suspension waits for what each of them waits for (`WakeOn`)
 * until the earliest of their due times; the store checks those arrivals in the same write, so
 * one that came after a wait's last read makes the write answer "arrived" and every wait reads
 * again instead. Otherwise each waits in memory on its watch (or clock), as before, and asks
 * again when it may leave memory. A waiting run that suspended is abandoned: its waits never
 * settle, and the replay that wakes it reads each of them again.
 */
import { WorkflowNotFoundError } from "../errors.js";
import type { WakeOn } from "../store/suspension-store.js";
import { wakeKeyOf } from "../store/suspension-store.js";
import type { Journal } from "./journal.js";
import type { Parked, Parking } from "./parking.js";
import { resultOf } from "./record-info.js";
import type { Watch } from "./wakeups.js";

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

/** The run's parking, made at its first parked wait (a field of the journal: no WeakMap). */
function parkingOf(journal: Journal): Parking {
  let parking = journal.parking;
  if (!parking) {
    const created: Parking = { parked: new Set(), writing: undefined, looking: false };
    journal.parking = parking = created;
    // A call or wait that settles may leave only parked waits in flight: look again then.
    journal.onSettled = () => {
      if (created.looking || created.parked.size === 0) return;
      created.looking = true;
      setImmediate(() => {
        created.looking = false;
        if (suspensionOf(journal, created)) {
          // A failure stopped the run, and the parked waits see that on their own.
          trySuspend(journal, created)?.catch(() => undefined);
        }
      });
    };
  }
  return parking;
}

/** Whether every call and wait of the run in flight is parked and may leave memory now. */
function suspensionOf(journal: Journal, parking: Parking): boolean {
  const { suspendAfterMs, replayOnly, clock } = journal.host;
  if (suspendAfterMs === undefined || replayOnly || parking.writing) return false;
  const now = clock.now();
  let own = 0;
  for (const wait of parking.parked) {
    if (!wait.eligible(now, suspendAfterMs)) return false;
    own += wait.own;
  }
  return own === journal.busy;
}

/**
 * Suspends the run if every call and wait of it in flight is parked and each may leave memory
 * now, the run is not replay-only, and the workflow's deadline has not passed (its expiry is
 * under way: the waits wait for it in memory). When the write finds an arrival, every parked wait
 * reads again and this resolves; when it suspends, it never settles (nor does any parked wait).
 * Returns `undefined` when the run may not suspend now.
 */
function trySuspend(journal: Journal, parking: Parking): Promise<void> | undefined {
  const { suspendAfterMs, replayOnly, clock } = journal.host;
  if (suspendAfterMs === undefined || replayOnly || parking.writing) return undefined;
  const now = clock.now();
  const { deadlineAt } = journal;
  if (deadlineAt !== undefined && deadlineAt <= now) return undefined;
  let own = 0;
  let wakeAt = Number.POSITIVE_INFINITY;
  const wakeOn: WakeOn[] = [];
  for (const wait of parking.parked) {
    if (!wait.eligible(now, suspendAfterMs)) return undefined;
    own += wait.own;
    wakeAt = Math.min(wakeAt, wait.wakeAt ?? Number.POSITIVE_INFINITY);
    wakeOn.push(...wait.wakeOn);
  }
  if (own !== journal.busy || wakeAt <= now) return undefined;
  let settle!: (written: boolean) => void;
  parking.writing = new Promise((resolve) => (settle = resolve));
  const parked = [...parking.parked];
  const release = () => {
    for (const wait of parked) wait.close();
    settle(true);
  };
  return journal
    .suspend(Number.isFinite(wakeAt) ? wakeAt : undefined, dedupe(wakeOn), release)
    .then(
      () => {
        // Something arrived before the suspension was written: every wait reads again.
        parking.writing = undefined;
        settle(false);
        for (const wait of parked) {
          parking.parked.delete(wait);
          wait.wake();
        }
      },
      (error: unknown) => {
        parking.writing = undefined;
        settle(false);
        throw error;
      },
    );
}

function dedupe(wakeOn: readonly WakeOn[]): WakeOn[] {
  const seen = new Set<string>();
  return wakeOn.filter((on) => !seen.has(wakeKeyOf(on)) && seen.add(wakeKeyOf(on)));
}

/**
 * Parks `wait` while `inMemory` waits; suspends the run instead when it may (see
 * {@link trySuspend}). Before it suspends it lets the run's pending callbacks run once (a
 * `setImmediate`), so a call the run makes as soon as another settles (the next wait of a chain
 * in `Promise.all`) is in flight and counted, and asks again. Resolves when the wait should look
 * again: its in-memory wait ended, or a suspension found an arrival. After a suspension that was
 * written it never settles, and the other waits return to find the run ended.
 */
async function park(
  journal: Journal,
  wait: Parked,
  inMemory: (signal: AbortSignal) => Promise<void>,
): Promise<void> {
  const parking = parkingOf(journal);
  parking.parked.add(wait);
  try {
    if (suspensionOf(journal, parking)) {
      await new Promise((resolve) => setImmediate(resolve));
      const suspending = parking.parked.has(wait) ? trySuspend(journal, parking) : undefined;
      if (suspending) return await suspending;
    }
    if (!parking.parked.has(wait)) return; // a suspension found an arrival: read again
    await inMemory(journal.stopSignal);
    // Another wait of the run may be writing a suspension. Once written, the run has ended: the
    // caller's next look throws `ContextEndedError` and the wait is abandoned.
    if (parking.writing) await parking.writing;
  } finally {
    parking.parked.delete(wait);
  }
}

/**
 * Waits for something to read again: suspends the run when it may (and then, unless something
 * arrived meanwhile, never returns), else waits on `watch` up to `awaited.waitMs`, or until it
 * may leave memory and asks again.
 */
export async function waitOrSuspend(
  journal: Journal,
  watch: Watch,
  awaited: Awaited,
): Promise<void> {
  const { clock } = journal.host;
  const threshold = journal.host.suspendAfterMs ?? Number.POSITIVE_INFINITY;
  const eligibleAt = awaited.since + threshold;
  await park(
    journal,
    {
      own: awaited.own,
      wakeAt: awaited.wakeAt,
      wakeOn: awaited.wakeOn,
      eligible: (now) => now >= eligibleAt,
      wake: () => watch.fire(),
      close: () => watch.close(),
    },
    async (signal) => {
      // Until something arrives, the deadline, or (to ask again) the wait may leave memory.
      const untilEligible = eligibleAt - clock.now();
      const maxMs = untilEligible > 0 ? Math.min(awaited.waitMs, untilEligible) : awaited.waitMs;
      await watch.next(maxMs, signal);
    },
  );
}

/**
 * `ctx.sleep(ms)`: checkpoints its wake-up time, then leaves memory when it has at least
 * `suspendAfterMs` left and everything else of the run in flight is parked too, else sleeps in
 * memory (and asks again when another wait of the run parks). Counted as in flight from the
 * call, so no other wait of the run suspends it without its due time.
 */
export function sleep(journal: Journal, ms: number): Promise<void> {
  const { clock, replayOnly } = journal.host;
  return journal.waitingOutside(async () => {
    const wakeAt = await journal.internal("cairn.sleep", () => clock.now() + ms);
    // A replay-only run does not wait: what came after the sleep is recorded, or the replay ends.
    if (replayOnly) return;
    try {
      while (clock.now() < wakeAt) {
        journal.throwIfStopped();
        // A suspension that found an arrival wakes it to park again (it may then suspend). Its
        // controller is made only when it sleeps in memory: most sleeps suspend at once.
        let woken: AbortController | undefined;
        await park(
          journal,
          {
            own: 1,
            wakeAt,
            wakeOn: [],
            eligible: (now, threshold) => wakeAt - now >= threshold,
            wake: () => woken?.abort(WOKEN),
            close: () => undefined,
          },
          (signal) => sleepUnless(journal, wakeAt, signal, (woken = new AbortController())),
        );
      }
    } catch (error) {
      return journal.abandoned(error);
    }
  });
}

const WOKEN = Symbol("woken");

/** Sleeps in memory until `wakeAt`, `signal` aborts (rejects), or `woken` aborts (resolves). */
async function sleepUnless(
  journal: Journal,
  wakeAt: number,
  signal: AbortSignal,
  woken: AbortController,
): Promise<void> {
  const stop = () => woken.abort(signal.reason);
  if (signal.aborted) stop();
  signal.addEventListener("abort", stop, { once: true });
  try {
    const { clock } = journal.host;
    await clock.sleep(Math.max(0, wakeAt - clock.now()), woken.signal);
  } catch (error) {
    if (error !== WOKEN) throw error;
  } finally {
    signal.removeEventListener("abort", stop);
  }
}

/**
 * The result of a child workflow read inside the workflow of `journal` (its ID, or the call that
 * starts it and resolves with its ID): its output, or its error thrown, once it finished. Not a
 * durable call (a replay reads it again), but it suspends like one when it waits long. Counted
 * as in flight from the call, the child's start included.
 * @throws WorkflowNotFoundError when there is no such workflow
 */
export function childResult<T>(
  journal: Journal,
  child: string | (() => Promise<string>),
): Promise<T> {
  return journal.waitingOutside(async () => {
    const workflowId = typeof child === "string" ? child : await child();
    const on: WakeOn = { kind: "status", workflowId };
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
    } catch (error) {
      return journal.abandoned<T>(error); // another wait of the run suspended it: abandoned too
    } finally {
      watch.close();
    }
  });
}
