/**
 * The check behind a client's start by name (and a queue client's enqueue): engines advertise
 * the workflow names they run with every heartbeat, and a name that no recent engine runs fails
 * at once with `WorkflowNotRegisteredError` instead of waiting `PENDING` for an engine that will
 * never come. It only refuses what it can prove: with no recent engine at all (none deployed yet,
 * a client-only test), or with one that advertises nothing (an engine of an older Cairn), every
 * name passes. Versions play no part (a client's start may run on any version). Names an engine
 * advertised are cached for a few seconds, so a busy client adds no read to its starts; an
 * unknown name is read afresh before it is refused (an engine may have just launched). Decision
 * 0018 says why.
 */
import { WorkflowNotRegisteredError } from "../errors.js";
import type { ExecutorRecord, OwnershipStore } from "../store/ownership-store.js";

/**
 * Engines whose lease ran out less than this long ago still count: a worker restarting (its
 * row stopped or expired, its successor not yet heartbeating) must not fail valid starts.
 */
export const RECENT_EXECUTOR_MS = 60_000;

/** How long a read of the advertised names answers for names it found. */
const FRESH_MS = 5_000;

interface Snapshot {
  readonly executors: readonly ExecutorRecord[];
  readonly readAt: number;
}

/** The advertised names of recent engines, read through a short cache. */
export class RegisteredNames {
  private readonly store: Pick<OwnershipStore, "listExecutors">;
  private snapshot: Snapshot | undefined;
  private reading: Promise<Snapshot> | undefined;

  constructor(store: Pick<OwnershipStore, "listExecutors">) {
    this.store = store;
  }

  /**
   * Resolves when an engine may run `name` (for `executorId`, when given); otherwise throws.
   * @throws WorkflowNotRegisteredError
   */
  async assert(name: string, executorId?: string): Promise<void> {
    const cached = this.snapshot;
    if (cached && Date.now() - cached.readAt < FRESH_MS && runs(cached, name, executorId)) return;
    const fresh = await this.read();
    if (!runs(fresh, name, executorId)) throw notRegistered(fresh, name, executorId);
  }

  /** One read of the recent executors at a time; concurrent checks share it. */
  private read(): Promise<Snapshot> {
    this.reading ??= this.store
      .listExecutors({ recentMs: RECENT_EXECUTOR_MS })
      .then((executors) => (this.snapshot = { executors, readAt: Date.now() }))
      .finally(() => (this.reading = undefined));
    return this.reading;
  }
}

/** Whether some engine in `snapshot` may run `name` — or nothing can be told. */
function runs(snapshot: Snapshot, name: string, executorId: string | undefined): boolean {
  const target = snapshot.executors.find((e) => e.executorId === executorId && !e.expired);
  // An engine that is alive keeps what is assigned to it: no other engine takes it over.
  if (target) return advertises(target, name);
  const { executors } = snapshot;
  return executors.length === 0 || executors.some((e) => advertises(e, name));
}

const advertises = (executor: ExecutorRecord, name: string): boolean =>
  executor.workflowNames === undefined || executor.workflowNames.includes(name);

function notRegistered(
  snapshot: Snapshot,
  name: string,
  executorId: string | undefined,
): WorkflowNotRegisteredError {
  const optOut = "pass { allowUnregistered: true } to start it for an engine not deployed yet";
  const alive = snapshot.executors.some((e) => e.executorId === executorId && !e.expired);
  if (alive) {
    return new WorkflowNotRegisteredError(
      name,
      `it is alive, so no other engine takes the workflow over; ${optOut}`,
      `by executor "${executorId}"`,
    );
  }
  const seen = snapshot.executors.length;
  return new WorkflowNotRegisteredError(
    name,
    `none of the ${seen} engine${seen === 1 ? "" : "s"} seen in the last ` +
      `${RECENT_EXECUTOR_MS / 1000} s runs it; ${optOut}`,
    "by any live engine",
  );
}
