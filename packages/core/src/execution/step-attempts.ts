/**
 * The durable side of a step's retries. When an attempt fails and another follows, the failed
 * count and the next attempt's due time are recorded (`store.recordStepAttempt`), so a run that
 * resumes the workflow after a crash continues at the next attempt number and waits only the
 * rest of the backoff. Nothing is written when the first attempt succeeds, and nothing is read
 * for a workflow this engine just created; any other run (recovered, taken over, picked up by the
 * poll or a notification, woken) reads its attempts once, at its first step that retries (a step
 * with `maxAttempts: 1` never recorded one).
 */
import type { StepAttempt } from "../store/records.js";
import type { Journal } from "./journal.js";

/** Where a step's attempts resume: how many failed, and when the next one is due. */
export interface ResumedAttempts {
  readonly attempts: number;
  readonly nextAttemptAt: number;
}

const loaded = new WeakMap<Journal, Promise<ReadonlyMap<number, StepAttempt>>>();

/** The failed attempts recorded for the step `name` at `position`, if this run resumes any. */
export async function resumedAttempts(
  journal: Journal,
  position: number,
  name: string,
): Promise<ResumedAttempts | undefined> {
  if (!mayHaveRun(journal)) return undefined;
  let attempts = loaded.get(journal);
  if (!attempts) {
    const { store } = journal.host;
    attempts = journal
      .guard(() => store.listStepAttempts(journal.workflowId), name)
      .then((list) => new Map(list.map((attempt) => [attempt.position, attempt])));
    loaded.set(journal, attempts);
    attempts.catch(() => loaded.delete(journal));
  }
  const recorded = (await attempts).get(position);
  return recorded?.name === name ? recorded : undefined;
}

/**
 * Whether the workflow may have run before this run: claimed (an owner epoch), replaying a
 * history, or handed over by a pickup path — the poll or a notification may run a workflow
 * again at the same epoch after a run of it here stopped early (a store error), with no
 * checkpoint yet. Only a run this engine created just now is surely the first.
 */
function mayHaveRun(journal: Journal): boolean {
  return journal.resumed || journal.run.cause !== "start";
}

/** Records that attempt `attempts` of the step at `position` failed; the next is due at `nextAttemptAt`. */
export async function recordFailedAttempt(
  journal: Journal,
  position: number,
  name: string,
  attempts: number,
  nextAttemptAt: number,
): Promise<void> {
  const attempt = { workflowId: journal.workflowId, position, name, attempts, nextAttemptAt };
  await journal.guard(() => journal.host.store.recordStepAttempt(attempt, journal.fence), name);
}
