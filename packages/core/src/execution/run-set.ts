/**
 * The runs an engine has in flight, and how work reaches it: created here, recovered at launch,
 * taken over from executors that stopped heartbeating, or picked up later (a client start, a
 * resume, a fork assigned to this executor — announced by a store notification, or found by the
 * periodic poll that backs notifications up). It guarantees a workflow runs at most once in this
 * process, stops runs that were cancelled or taken over elsewhere, arms deadlines, and stops
 * everything at shutdown. The timers that drive it live in `background.ts`.
 */
import { systemClock } from "../clock.js";
import type { LaunchReport } from "../engine.js";
import { WorkflowNotRegisteredError } from "../errors.js";
import type { Logger } from "../logger.js";
import type { RunCause, RunInfo } from "../observer.js";
import { deserialize } from "../serialization.js";
import type { RecoveryResult } from "../store/ownership-store.js";
import type { StepRecord, WorkflowRecord, WorkflowStatus } from "../store/records.js";
import type { CreateWorkflowResult } from "../store/running-store.js";
import type { WorkflowStore } from "../store/workflow-store.js";
import type { WorkflowDefinition } from "../workflow.js";
import { executeWorkflow, type RunOutcome } from "./execute-workflow.js";
import type { Execution, ExecutionHost } from "./execution.js";
import { UNASSIGNED_EXECUTOR } from "../store/executor-ids.js";
import type { Registry } from "./registry.js";
import { runEndOf, runEndedEvent, runInfoOf } from "./run-events.js";
import { delay } from "./run-attempts.js";
import type { Wakeups } from "./wakeups.js";

/** One workflow running in this process. */
export interface Run {
  readonly execution: Execution;
  readonly done: Promise<RunOutcome>;
  /** Cancels the wait for the workflow's deadline. */
  deadlineTimer?: { abort(): void };
}

/** What a run set needs from its engine. */
export interface RunSetDeps {
  readonly host: ExecutionHost;
  readonly store: WorkflowStore;
  readonly logger: Logger;
  readonly wakeups: Wakeups;
  readonly registry: Registry;
  readonly pollIntervalMs: number;
  isRunning(): boolean;
  createExecution(
    definition: WorkflowDefinition,
    record: WorkflowRecord,
    history: readonly StepRecord[],
    run: RunInfo,
  ): Execution;
}

const MAX_TIMER_MS = 2_147_483_647;
const TAKEOVER_BATCH = 100;
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
    deps.wakeups.onNotification((notification) => {
      if (notification.kind !== "status") return;
      if (notification.status === "CANCELLED") this.cancel([notification.workflowId]);
      else if (
        notification.status === "PENDING" &&
        notification.executorId === UNASSIGNED_EXECUTOR
      ) {
        void this.takeOver().catch((error: unknown) => {
          deps.logger.warn("could not claim an unassigned workflow; the next poll retries", {
            error,
          });
        });
      } else if (
        notification.status === "PENDING" &&
        notification.executorId === deps.host.executorId
      ) {
        void this.pickUp(notification.workflowId);
      }
    });
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
    write: () => Promise<CreateWorkflowResult>,
    options: { loadHistory: boolean },
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

  /** Runs a stored PENDING workflow here unless it already runs; waits out a stopping run first. */
  async ensureRunning(record: WorkflowRecord): Promise<void> {
    const id = record.workflowId;
    const current = this.running.get(id);
    if (current && !current.execution.interruption) return;
    if (current) await current.done;
    const definition = this.deps.registry.get(record.name);
    if (!definition || this.starting.has(id)) return;
    this.starting.add(id);
    try {
      const history = await this.deps.store.listSteps(id);
      if (this.deps.isRunning() && !this.running.has(id)) {
        this.spawn(definition, record, history, "pickup");
      }
    } finally {
      this.starting.delete(id);
    }
  }

  /** At launch: claims this executor's unfinished workflows and runs them. */
  async recover(): Promise<LaunchReport> {
    const { store } = this.deps;
    const report = await this.adopt(await store.claimRecoverable(this.claim()), "recovery");
    if (!store.exclusive) return report;
    // Only this process can open the store: every other executor in it is gone.
    const taken = await this.takeOver({ ignoreLeases: true });
    return {
      recovered: [...report.recovered, ...taken.recovered],
      deadLettered: [...report.deadLettered, ...taken.deadLettered],
      unknown: [...report.unknown, ...taken.unknown],
    };
  }

  /** Claims (and runs) workflows of executors whose lease expired or that stopped. */
  async takeOver(options: { ignoreLeases?: boolean } = {}): Promise<LaunchReport> {
    const result = await this.deps.store.takeOver({
      ...this.claim(),
      limit: TAKEOVER_BATCH,
      ignoreLeases: options.ignoreLeases ?? false,
    });
    if (result.recovered.length > 0) {
      this.deps.logger.info(`took over ${result.recovered.length} workflows of stopped executors`);
    }
    return this.adopt(result, "takeover");
  }

  /** Starts running `record` here. No-op if it already runs. */
  spawn(
    definition: WorkflowDefinition,
    record: WorkflowRecord,
    history: readonly StepRecord[],
    cause: RunCause,
  ): void {
    const id = record.workflowId;
    if (this.running.has(id)) return;
    const { host } = this.deps;
    const info = runInfoOf(record, host.executorId, cause);
    const execution = this.deps.createExecution(definition, record, history, info);
    const input = deserialize(record.input);
    const recovered = cause === "recovery" || cause === "takeover";
    host.observers.emit({ type: recovered ? "workflow.recovered" : "workflow.started", run: info });
    const done = host.observers
      .run(info, () => executeWorkflow(host, definition, execution, input), runEndOf)
      .then((outcome) => this.settle(id, outcome, info));
    const run: Run = { execution, done };
    this.running.set(id, run);
    this.armDeadline(run, record.deadlineAt);
  }

  /** Cancels the local runs among `workflowIds` (the store already says CANCELLED). */
  cancel(workflowIds: readonly string[]): void {
    for (const id of workflowIds) this.running.get(id)?.execution.cancel();
  }

  /**
   * The poll behind notifications: stops local runs that were cancelled or taken over elsewhere,
   * and picks up PENDING workflows assigned to this executor that nothing runs.
   */
  async poll(): Promise<void> {
    const { store, host } = this.deps;
    if (this.running.size > 0) {
      const ids = [...this.running.keys()];
      for (const record of await store.listWorkflows({ workflowIds: ids, limit: ids.length })) {
        const run = this.running.get(record.workflowId);
        if (!run) continue;
        if (record.status === "CANCELLED") run.execution.cancel();
        else if (record.ownerEpoch > run.execution.fence.epoch) run.execution.lose();
      }
    }
    const unassigned = { status: "PENDING", executorId: UNASSIGNED_EXECUTOR, limit: 1 } as const;
    if ((await store.listWorkflows(unassigned)).length > 0) await this.takeOver();
    const pending = await store.listWorkflows({
      status: "PENDING",
      executorId: host.executorId,
      limit: 100,
    });
    const staleBefore = Date.now() - 2 * this.deps.pollIntervalMs;
    for (const [id, at] of this.finishedAt) if (at < staleBefore) this.finishedAt.delete(id);
    for (const record of pending) {
      const id = record.workflowId;
      if (this.finishedAt.has(id) || this.starting.has(id) || this.running.has(id)) continue;
      await this.ensureRunning(record);
    }
  }

  /** Stops every run at its next durable operation, gives steps `graceMs`, then abandons them. */
  async stopAll(graceMs: number): Promise<void> {
    const runs = [...this.running.values()];
    for (const run of runs) run.execution.stop("the engine is shutting down");
    const settled = Promise.allSettled(runs.map((run) => run.done));
    const grace = new AbortController();
    await Promise.race([settled, delay(graceMs, grace.signal).catch(() => undefined)]);
    grace.abort();
    for (const run of runs) run.execution.abandon();
    // A body stuck on a promise Cairn does not own may never settle; don't let it hold shutdown.
    const bound = new AbortController();
    await Promise.race([settled, delay(ABANDON_WAIT_MS, bound.signal).catch(() => undefined)]);
    bound.abort();
  }

  private claim() {
    const { host, registry } = this.deps;
    return {
      executorId: host.executorId,
      appVersion: host.appVersion,
      names: registry.names,
      maxRecoveryAttempts: registry.maxRecoveryAttempts(),
    };
  }

  /** Runs what a claim handed to this executor and reports dead letters and unknown names. */
  private async adopt(claim: RecoveryResult, cause: RunCause): Promise<LaunchReport> {
    const { store, registry, logger } = this.deps;
    const ids = claim.recovered.map((r) => r.workflowId);
    for (const id of ids) this.starting.add(id); // the poll must not start them meanwhile
    try {
      // Load every history before starting any run, so recovered parents find recovered children.
      const histories = await Promise.all(ids.map((id) => store.listSteps(id)));
      claim.recovered.forEach((record, i) => {
        const definition = registry.get(record.name);
        if (definition) this.spawnAfterPrevious(definition, record, histories[i] ?? [], cause);
      });
    } finally {
      for (const id of ids) this.starting.delete(id);
    }
    for (const record of claim.deadLettered) {
      this.deps.host.observers.emit({
        type: "workflow.dead-lettered",
        workflowId: record.workflowId,
        workflowName: record.name,
        recoveryAttempts: record.recoveryAttempts,
        executorId: this.deps.host.executorId,
      });
    }
    for (const { workflowId, name } of claim.unknown) {
      logger.error(
        `workflow ${workflowId} is PENDING but "${name}" is not registered; left PENDING`,
        {
          error: new WorkflowNotRegisteredError(name),
        },
      );
    }
    return {
      recovered: claim.recovered.map((r) => r.workflowId),
      deadLettered: claim.deadLettered.map((r) => r.workflowId),
      unknown: claim.unknown,
    };
  }

  /** Spawns `record`; a run of an older claim here is fenced off now, so it is stopped first. */
  private spawnAfterPrevious(
    definition: WorkflowDefinition,
    record: WorkflowRecord,
    history: readonly StepRecord[],
    cause: RunCause,
  ): void {
    const previous = this.running.get(record.workflowId);
    if (!previous) return this.spawn(definition, record, history, cause);
    if (previous.execution.fence.epoch >= record.ownerEpoch) return; // already runs this claim
    previous.execution.lose();
    void previous.done
      .then(() => this.spawn(definition, record, history, cause))
      .catch((error: unknown) => {
        this.deps.logger.error(`could not start workflow ${record.workflowId}`, { error });
      });
  }

  private async pickUp(workflowId: string): Promise<void> {
    const busy = this.running.has(workflowId) || this.starting.has(workflowId);
    // A run that just ended here (say, interrupted by a store error) is retried by the poll,
    // not at once: an immediate retry could loop as fast as the store answers.
    const justEnded =
      (this.finishedAt.get(workflowId) ?? 0) > Date.now() - 2 * this.deps.pollIntervalMs;
    if (busy || justEnded || !this.deps.isRunning()) return;
    try {
      const record = await this.deps.store.getWorkflow(workflowId);
      if (record?.status === "PENDING" && record.executorId === this.deps.host.executorId) {
        await this.ensureRunning(record);
      }
    } catch (error) {
      this.deps.logger.warn(`could not pick up workflow ${workflowId}; the next poll retries`, {
        error,
      });
    }
  }

  private settle(id: string, outcome: RunOutcome, info: RunInfo): RunOutcome {
    const run = this.running.get(id);
    run?.deadlineTimer?.abort();
    this.running.delete(id);
    this.finishedAt.set(id, Date.now());
    const end = runEndOf(outcome);
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
    const id = run.execution.workflowId;
    const { clock } = this.deps.host;
    if (clock !== systemClock) {
      // Durable time the test advances: no real timer to unref; the run's end aborts the wait.
      const expiry = new AbortController();
      run.deadlineTimer = { abort: () => expiry.abort() };
      const waitMs = Math.max(0, deadlineAt - clock.now());
      clock.sleep(waitMs, expiry.signal).then(
        () => void this.expire(id),
        () => undefined,
      );
      return;
    }
    const waitMs = Math.max(0, deadlineAt - Date.now());
    const timer = setTimeout(
      () => {
        if (Date.now() < deadlineAt) return this.armDeadline(run, deadlineAt); // long deadlines re-arm
        void this.expire(id);
      },
      Math.min(waitMs, MAX_TIMER_MS),
    );
    timer.unref();
    run.deadlineTimer = { abort: () => clearTimeout(timer) };
  }

  private async expire(workflowId: string): Promise<void> {
    try {
      const cancelled = await this.deps.store.cancelWorkflow(workflowId, { children: true });
      this.cancel(cancelled);
      if (cancelled.length > 0) this.deps.logger.info(`workflow ${workflowId} timed out`);
    } catch (error) {
      this.deps.logger.warn(`could not cancel workflow ${workflowId} at its deadline; retrying`, {
        error,
      });
      setTimeout(() => void this.expire(workflowId), this.deps.pollIntervalMs).unref();
    }
  }
}
