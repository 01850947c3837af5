/**
 * The runs an engine has in flight: each workflow runs at most once in this process. A run is
 * spawned here — for a workflow just created, recovered, taken over or picked up — with its
 * deadline armed, and settled here when its body's outcome is recorded (or it stops early).
 * Cancellation, loss of ownership and shutdown stop runs through it. Where the work comes from
 * lives elsewhere: `recovery.ts` (launch and takeover) and `pickup.ts` (notifications, poll).
 */
import { systemClock } from "../clock.js";
import type { Logger } from "../logger.js";
import type { RunFinisher } from "../plugin.js";
import type { RunCause, RunInfo } from "../observer.js";
import type { StepRecord, WorkflowRecord, WorkflowStatus } from "../store/records.js";
import type { CreateWorkflowResult } from "../store/running-store.js";
import type { WorkflowStore } from "../store/workflow-store.js";
import type { WorkflowDefinition } from "../workflow.js";
import { executeWorkflow } from "./execute-workflow.js";
import type { RunOutcome } from "./run-outcome.js";
import { Journal } from "./journal.js";
import type { RunHost } from "./run-host.js";
import type { Registry } from "./registry.js";
import { runEndOf, runEndedEvent, runInfoOf } from "./run-events.js";
import { delay } from "./delay.js";
import type { Wakeups } from "./wakeups.js";

/** One workflow running in this process. */
export interface Run {
  readonly journal: Journal;
  readonly done: Promise<RunOutcome>;
  /** Cancels the wait for the workflow's deadline. */
  deadlineTimer?: { abort(): void };
  /** Told when the run ends or suspends (the bound on runs in memory counts it until then). */
  onEnd?: () => void;
}

/** What a run set needs from its engine. */
export interface RunSetDeps {
  readonly host: RunHost;
  readonly store: WorkflowStore;
  readonly logger: Logger;
  readonly wakeups: Wakeups;
  readonly registry: Registry;
  readonly pollIntervalMs: number;
  isRunning(): boolean;
  /** A run here suspended until `wakeAt`, if it has a due time (the engine arms its timer). */
  onSuspended?(wakeAt: number | undefined): void;
}

const MAX_TIMER_MS = 2_147_483_647;

/**
 * The histories of `workflowIds`, in one read when the store has `listStepsOf` (recovery,
 * takeover and waking read a page of workflows at a time), else one `listSteps` each.
 */
export async function historiesOf(
  store: WorkflowStore,
  workflowIds: readonly string[],
): Promise<ReadonlyMap<string, readonly StepRecord[]>> {
  if (workflowIds.length === 0) return new Map();
  if (store.listStepsOf) return store.listStepsOf(workflowIds);
  const lists = await Promise.all(workflowIds.map((id) => store.listSteps(id)));
  return new Map(workflowIds.map((id, i) => [id, lists[i] ?? []]));
}
const ABANDON_WAIT_MS = 1_000;

/** The in-flight runs of one engine. */
export class RunSet {
  private readonly running = new Map<string, Run>();
  /** IDs being created or loaded right now: pickup must leave them alone. */
  private readonly starting = new Set<string>();
  /** IDs that finished here recently, with when: a poll that read them PENDING is stale. */
  private readonly finishedAt = new Map<string, number>();
  private readonly deps: RunSetDeps;
  private readonly endedListeners: ((workflowId: string, status: WorkflowStatus) => void)[] = [];

  constructor(deps: RunSetDeps) {
    this.deps = deps;
  }

  /** Calls `listener` whenever a run here ends. */
  onRunEnded(listener: (workflowId: string, status: WorkflowStatus) => void): void {
    this.endedListeners.push(listener);
  }

  get(workflowId: string): Run | undefined {
    return this.running.get(workflowId);
  }

  /**
   * Writes a new workflow through `write` while pickup is held off for its ID, and runs it here
   * if it was created (with its copied history when `loadHistory`, as for a fork).
   */
  async createAndRun(
    workflowId: string,
    definition: WorkflowDefinition,
    options: { loadHistory: boolean },
    write: () => Promise<CreateWorkflowResult>,
  ): Promise<CreateWorkflowResult> {
    this.starting.add(workflowId);
    try {
      const result = await write();
      // Written while the engine began shutting down: leave it PENDING for the next launch.
      if (result.created && this.deps.isRunning()) {
        const history = options.loadHistory ? await this.deps.store.listSteps(workflowId) : [];
        this.spawn(definition, result.workflow, history, "start");
      }
      return result;
    } finally {
      this.starting.delete(workflowId);
    }
  }

  /**
   * Runs a stored PENDING workflow here unless it already runs; waits out a stopping run first.
   * Its history is read from the store unless the caller knows it (`history`); its outcome is
   * recorded by `finish` when given, else by the store.
   */
  async ensureRunning(
    record: WorkflowRecord,
    history?: readonly StepRecord[],
    finish?: RunFinisher,
    cause: RunCause = "pickup",
  ): Promise<void> {
    const id = record.workflowId;
    const current = this.running.get(id);
    if (current && !current.journal.interruption) return;
    if (current) await current.done;
    const definition = this.deps.registry.get(record.name);
    if (!definition || this.starting.has(id)) return;
    this.starting.add(id);
    try {
      const steps = history ?? (await this.deps.store.listSteps(id));
      if (this.deps.isRunning() && !this.running.has(id)) {
        this.spawn(definition, record, steps, cause, finish);
      }
    } finally {
      this.starting.delete(id);
    }
  }

  /**
   * Runs `record`, whose suspension the store just handed out, by replay (its `history` when the
   * caller read it, else read here). A run of it still here is either the suspended one ending
   * (waited for) or a live one (left alone). `held`: the caller took it with {@link hold} before
   * reading `history`, so that no pickup could run it meanwhile; the hold is released here.
   */
  async wake(record: WorkflowRecord, history?: readonly StepRecord[], held = false): Promise<void> {
    const id = record.workflowId;
    let holds = held;
    try {
      const current = this.running.get(id);
      // Once it suspended (decision 0014) it is ending, and its workflow waits in the store.
      if (current && !current.journal.hasSuspended) return;
      if (current) await current.done;
      const definition = this.deps.registry.get(record.name);
      if (!definition || !this.deps.isRunning()) return;
      if (this.running.has(id) || (!holds && this.starting.has(id))) return;
      this.starting.add(id);
      holds = true;
      const steps = history ?? (await this.deps.store.listSteps(id));
      if (this.deps.isRunning() && !this.running.has(id)) {
        this.spawn(definition, record, steps, "pickup");
      }
    } finally {
      if (holds) this.starting.delete(id);
    }
  }

  /**
   * Keeps pickup away from those of `workflowIds` that nothing here runs or loads, and returns
   * them: each is released by `wake(…, held = true)`, which its holder must call.
   */
  hold(workflowIds: readonly string[]): Set<string> {
    const held = new Set<string>();
    for (const id of workflowIds) {
      if (this.busy(id)) continue;
      this.starting.add(id);
      held.add(id);
    }
    return held;
  }

  /** Starts running `record` here, its outcome recorded by `finish` if given. No-op if it runs. */
  spawn(
    definition: WorkflowDefinition,
    record: WorkflowRecord,
    history: readonly StepRecord[],
    cause: RunCause,
    finish?: RunFinisher,
  ): void {
    const id = record.workflowId;
    if (this.running.has(id)) return;
    const { host } = this.deps;
    const info = runInfoOf(record, host.executorId, cause);
    const journal = new Journal({
      host,
      workflowId: id,
      definition,
      history,
      deadlineAt: record.deadlineAt,
      ownerEpoch: record.ownerEpoch,
      run: info,
    });
    const recovered = cause === "recovery" || cause === "takeover";
    host.observers.emit({ type: recovered ? "workflow.recovered" : "workflow.started", run: info });
    const done = host.observers
      .run(
        info,
        () =>
          executeWorkflow(
            host,
            definition,
            journal,
            () => host.serializer.deserialize(record.input),
            finish,
          ),
        (outcome) => runEndOf(outcome, host.serializer),
      )
      .then((outcome) => this.settle(id, outcome, info));
    const run: Run = { journal, done };
    this.running.set(id, run);
    this.armDeadline(run, record.deadlineAt);
  }

  /** Cancels the local runs among `workflowIds` (the store already says CANCELLED). */
  cancel(workflowIds: readonly string[]): void {
    for (const id of workflowIds) this.running.get(id)?.journal.cancel();
  }

  /** The IDs of the runs in flight here. */
  ids(): string[] {
    return [...this.running.keys()];
  }

  /** Whether `workflowId` runs here or is being created or loaded right now. */
  busy(workflowId: string): boolean {
    return this.running.has(workflowId) || this.starting.has(workflowId);
  }

  /**
   * Whether a run of `workflowId` ended here within two polls: a poll that read it PENDING is
   * stale, and a run that just ended (say, on a store error) is retried by the poll, not at once.
   */
  endedRecently(workflowId: string): boolean {
    const at = this.finishedAt.get(workflowId);
    return at !== undefined && at >= Date.now() - 2 * this.deps.pollIntervalMs;
  }

  /** Forgets runs that ended longer ago than {@link endedRecently} looks. */
  forgetOldEnds(): void {
    const staleBefore = Date.now() - 2 * this.deps.pollIntervalMs;
    for (const [id, at] of this.finishedAt) if (at < staleBefore) this.finishedAt.delete(id);
  }

  /** Stops the local runs that `records` (read just now) show cancelled or claimed by another. */
  reconcile(
    records: readonly Pick<WorkflowRecord, "workflowId" | "status" | "ownerEpoch">[],
  ): void {
    for (const record of records) {
      const run = this.running.get(record.workflowId);
      if (!run) continue;
      if (record.status === "CANCELLED") run.journal.cancel();
      else if (record.ownerEpoch > run.journal.fence.epoch) run.journal.lose();
    }
  }

  /** Runs `work` while pickup leaves `workflowIds` alone (they are being created or loaded). */
  async holding<T>(workflowIds: readonly string[], work: () => Promise<T>): Promise<T> {
    for (const id of workflowIds) this.starting.add(id);
    try {
      return await work();
    } finally {
      for (const id of workflowIds) this.starting.delete(id);
    }
  }

  /** Stops every run at its next durable operation, gives steps `graceMs`, then abandons them. */
  async stopAll(graceMs: number): Promise<void> {
    const runs = [...this.running.values()];
    for (const run of runs) run.journal.stop("the engine is shutting down");
    const settled = Promise.allSettled(runs.map((run) => run.done));
    const grace = new AbortController();
    await Promise.race([settled, delay(graceMs, grace.signal).catch(() => undefined)]);
    grace.abort();
    for (const run of runs) run.journal.abandon();
    // A body stuck on a promise Cairn does not own may never settle; don't let it hold shutdown.
    const bound = new AbortController();
    await Promise.race([settled, delay(ABANDON_WAIT_MS, bound.signal).catch(() => undefined)]);
    bound.abort();
  }

  /** Spawns a claimed `record`; a run of an older claim here is fenced off, so it stops first. */
  spawnClaimed(
    definition: WorkflowDefinition,
    record: WorkflowRecord,
    history: readonly StepRecord[],
    cause: RunCause,
  ): void {
    // Claimed while the engine began shutting down (a recovery or takeover that was reading
    // histories): leave it PENDING, as a start then does, for the next launch or a takeover.
    if (!this.deps.isRunning()) return;
    const previous = this.running.get(record.workflowId);
    if (!previous) return this.spawn(definition, record, history, cause);
    if (previous.journal.fence.epoch >= record.ownerEpoch) return; // already runs this claim
    previous.journal.lose();
    void previous.done
      .then(() => {
        if (this.deps.isRunning()) this.spawn(definition, record, history, cause);
      })
      .catch((error: unknown) => {
        this.deps.logger.error(`could not start workflow ${record.workflowId}`, { error });
      });
  }

  private settle(id: string, outcome: RunOutcome, info: RunInfo): RunOutcome {
    const run = this.running.get(id);
    run?.deadlineTimer?.abort();
    this.running.delete(id);
    run?.onEnd?.();
    if (outcome.kind === "suspended") {
      const suspended = runEndedEvent(info, outcome, runEndOf(outcome, this.deps.host.serializer));
      if (suspended) this.deps.host.observers.emit(suspended);
      this.deps.onSuspended?.(outcome.wakeAt);
      return outcome;
    }
    this.finishedAt.set(id, Date.now());
    const end = runEndOf(outcome, this.deps.host.serializer);
    const { status } = end;
    const event = runEndedEvent(info, outcome, end);
    if (event) this.deps.host.observers.emit(event);
    const { executorId } = this.deps.host;
    // Wakes local result() waiters; a run that stopped early (still PENDING) has nothing to say.
    if (status !== "PENDING")
      this.deps.wakeups.notify({ kind: "status", workflowId: id, status, executorId });
    for (const listener of this.endedListeners) listener(id, status);
    return outcome;
  }

  private armDeadline(run: Run, deadlineAt: number | undefined): void {
    if (deadlineAt === undefined) return;
    const id = run.journal.workflowId;
    const { clock } = this.deps.host;
    if (clock !== systemClock) {
      // Durable time the test advances: no real timer to unref; the run's end aborts the wait.
      const waitMs = deadlineAt - clock.now();
      // Past already (a suspended run woken at its deadline): now, not at the clock's next move.
      if (waitMs <= 0) return void this.expire(id, deadlineAt);
      const expiry = new AbortController();
      run.deadlineTimer = { abort: () => expiry.abort() };
      clock.sleep(waitMs, expiry.signal).then(
        () => void this.expire(id, deadlineAt),
        () => undefined,
      );
      return;
    }
    const waitMs = Math.max(0, deadlineAt - Date.now());
    const timer = setTimeout(
      () => {
        if (Date.now() < deadlineAt) return this.armDeadline(run, deadlineAt); // long deadlines re-arm
        void this.expire(id, deadlineAt);
      },
      Math.min(waitMs, MAX_TIMER_MS),
    );
    timer.unref();
    run.deadlineTimer = { abort: () => clearTimeout(timer) };
  }

  /** Cancels the workflow and the descendants that share its deadline (not detached ones). */
  private async expire(workflowId: string, deadlineAt: number): Promise<void> {
    try {
      const cancelled = await this.deps.store.cancelWorkflows([workflowId], {
        children: true,
        deadlineAt,
      });
      this.cancel(cancelled);
      if (cancelled.length > 0) this.deps.logger.info(`workflow ${workflowId} timed out`);
    } catch (error) {
      this.deps.logger.warn(`could not cancel workflow ${workflowId} at its deadline; retrying`, {
        error,
      });
      setTimeout(() => void this.expire(workflowId, deadlineAt), this.deps.pollIntervalMs).unref();
    }
  }
}
