/**
 * The journal of one workflow run in this process: it hands out positions in call order, replays
 * recorded checkpoints (checking that the same operation is called at each position), records
 * new ones (one write per operation, no read), guards every store call (outages retried, lost
 * ownership stops the run), and stops the run when asked. It is internal: the workflow body
 * gets a `WorkflowContext` built over it (`workflow-context.ts`), steps and children run through
 * `durable-calls.ts`, messages and waits through `communication.ts`. It does not decide when a
 * workflow starts or finishes.
 */
import {
  ContextEndedError,
  NonDeterminismError,
  StoreUnavailableError,
  WorkflowCancelledError,
  WorkflowInterruptedError,
  WorkflowOwnershipLostError,
} from "../errors.js";
import { scopedLogger, type Logger } from "../logger.js";
import type { RunInfo } from "../observer.js";
import type { Fence, SerializedValue, StepRecord } from "../store/records.js";
import type { WakeOn } from "../store/suspension-store.js";
import type { WorkflowDefinition } from "../workflow.js";
import type { RunHost } from "./run-host.js";
import { delay } from "./delay.js";
import { RunSignals, type AttemptStop } from "./run-signals.js";
import type { Parking } from "./parking.js";

/** What `perform` hands back: a checkpoint to record, or one the store already recorded. */
export type Performed = StepRecord | { readonly recorded: StepRecord };

const NO_HISTORY: ReadonlyMap<number, StepRecord> = new Map();

/** The options of most operations: none (shared, not made per call). */
const NO_OPTIONS: OperationOptions<never> = {};

/** Why a run stopped early. */
export type RunInterruption =
  WorkflowInterruptedError | WorkflowCancelledError | WorkflowOwnershipLostError;

/** How a run suspended: its due time, if it has one. */
export interface Suspended {
  readonly wakeAt: number | undefined;
}

/** How an operation recognises and decodes its checkpoint. */
export interface OperationOptions<T> {
  readonly matches?: (recordedName: string) => boolean;
  readonly decode?: (record: StepRecord) => T;
}

/** The positions, replay and checkpoints of one workflow run in this process. */
export class Journal {
  readonly workflowId: string;
  readonly workflowName: string;
  readonly log: Logger;
  readonly host: RunHost;
  readonly definition: WorkflowDefinition;
  /** Epoch ms past which this run is cancelled; children inherit it. */
  readonly deadlineAt: number | undefined;
  /** This run's claim on the workflow: every write carries it, and a stale one is refused. */
  readonly fence: Fence;
  /** This run as observers see it. */
  readonly run: RunInfo;
  /**
   * Whether the workflow may have run before (a claimed owner epoch, or recorded history), so
   * its steps may have recorded failed attempts to resume from.
   */
  readonly resumed: boolean;
  /** Set when replay finds a mismatch; the workflow fails with it whatever the body does. */
  fatal: NonDeterminismError | undefined;
  private position = 0;
  private readonly history: ReadonlyMap<number, StepRecord>;
  private readonly replayLength: number;
  /** Stopped, abandoned, ended: the run's stop state, and signals made only when needed. */
  private readonly signals: RunSignals;
  /** Durable calls started and not yet settled. */
  private inFlight = 0;
  /** Waits outside durable calls (a child's result) under way. */
  private outside = 0;
  /** Told when a durable call or a wait outside one settles (parked waits ask again). */
  onSettled: (() => void) | undefined;
  /** The run's waits parked in memory (`suspending-waits.ts`), once one has parked. */
  parking: Parking | undefined;
  /** Told once when the run suspends (`wakeAt`: its due time, if any): see {@link suspend}. */
  private suspended: ((value: Suspended) => void) | undefined;
  /** Whether the run suspended: the store holds its suspension, and it is ending here. */
  hasSuspended = false;

  constructor(options: {
    host: RunHost;
    workflowId: string;
    definition: WorkflowDefinition;
    history: readonly StepRecord[];
    deadlineAt: number | undefined;
    ownerEpoch: number;
    run: RunInfo;
  }) {
    this.host = options.host;
    this.workflowId = options.workflowId;
    this.definition = options.definition;
    this.workflowName = options.definition.name;
    this.deadlineAt = options.deadlineAt;
    this.fence = { executorId: options.host.executorId, epoch: options.ownerEpoch };
    this.run = options.run;
    this.resumed = options.ownerEpoch > 0 || options.history.length > 0;
    // Most runs start with no history (a new workflow): they share one empty map.
    this.history =
      options.history.length === 0
        ? NO_HISTORY
        : new Map(options.history.map((record) => [record.position, record]));
    this.replayLength = options.history.reduce((max, r) => Math.max(max, r.position + 1), 0);
    this.signals = new RunSignals(() => new ContextEndedError(this.workflowId));
    this.log = scopedLogger(
      options.host.logger,
      { workflowId: this.workflowId, workflow: this.workflowName },
      () => this.position < this.replayLength,
    );
  }

  /** Calls `listener` when the run suspends (the run's driver ends it there); one listener. */
  onSuspended(listener: (value: Suspended) => void): void {
    this.suspended = listener;
  }

  /** Why the run stopped early, if it did: shut down, store failure, cancelled, taken over. */
  get interruption(): RunInterruption | undefined {
    return this.signals.stopReason as RunInterruption | undefined;
  }

  /** Whether the body settled (or the run suspended): the context writes nothing more. */
  get hasEnded(): boolean {
    return this.signals.ended;
  }

  /** Aborts when the run must stop or its body settled: waits listen to it. */
  get stopSignal(): AbortSignal {
    return this.signals.waitSignal;
  }

  /** Aborts when running step attempts are abandoned or the body settled. */
  get attemptSignal(): AbortSignal {
    return this.signals.attemptSignal;
  }

  /** What step attempts race: the run abandoned or its body settled. */
  get attemptStop(): AttemptStop {
    return this.signals;
  }

  /**
   * The body settled. A durable call made on this context from now on fails with
   * `ContextEndedError` and writes nothing. A call still in flight is abandoned: it records
   * nothing, its step's signal aborts, and its promise never settles (nobody awaits it, and a
   * rejection would surface as an unhandled one and could end the process). Warns when some were
   * in flight, which is almost always a missing `await`.
   */
  end(): void {
    if (this.signals.ended) return;
    if (this.inFlight > 0) {
      this.log.warn(
        `workflow ${this.workflowId} returned while ${this.inFlight} durable call(s) were still ` +
          `in flight (a missing await?); they are abandoned and record nothing`,
      );
    }
    this.signals.end();
  }

  /** What an abandoned call resolves to: nothing, ever (see {@link end}). */
  abandoned<T>(error: unknown): Promise<T> {
    if (ContextEndedError.is(error)) return new Promise<T>(() => undefined);
    throw error;
  }

  /** Stops the run at its next durable operation; running steps may still finish and record. */
  stop(reason: string, cause?: unknown): void {
    if (this.signals.stopped) return;
    this.signals.stop(new WorkflowInterruptedError(this.workflowId, reason, { cause }));
  }

  /** Another executor took the workflow over: stop at once, writing nothing more. */
  lose(): void {
    if (!this.signals.stopped) {
      this.signals.stop(new WorkflowOwnershipLostError(this.workflowId, this.fence.executorId));
    }
    this.abandon();
  }

  /** Cancels the run: it stops at its next durable operation and its running step's signal fires. */
  cancel(): void {
    if (!this.signals.stopped) this.signals.stop(new WorkflowCancelledError(this.workflowId));
    this.abandon();
  }

  /** Abandons running step attempts too (their signals abort). */
  abandon(): void {
    if (this.signals.abandoned) return;
    const reason: unknown =
      this.signals.stopReason ?? new WorkflowInterruptedError(this.workflowId, "abandoned");
    this.signals.abandon(reason);
  }

  /** Durable calls and waits outside them (see {@link waitingOutside}) under way. */
  get busy(): number {
    return this.inFlight + this.outside;
  }

  /** Runs `wait`, a wait that is no durable call (a child's result), counted as in flight. */
  async waitingOutside<T>(wait: () => Promise<T>): Promise<T> {
    this.outside++;
    try {
      return await wait();
    } finally {
      this.outside--;
      this.onSettled?.();
    }
  }

  /**
   * Suspends the run until `wakeAt` (or the workflow's earlier deadline; none: no due time) or
   * one of `wakeOn` arrives: the store marks it under the fence, `release` runs, the context
   * ends and the {@link onSuspended} listener hears of it, so the run ends here. The promise then never settles
   * and nothing keeps it: the waiting body is garbage, and the workflow comes back by replay.
   * When one of `wakeOn` had arrived already, nothing is written and it resolves (read again).
   */
  async suspend(
    wakeAt: number | undefined,
    wakeOn: readonly WakeOn[] = [],
    release?: () => void,
  ): Promise<void> {
    const name = "the suspension";
    const due = Math.min(wakeAt ?? Infinity, this.deadlineAt ?? Infinity);
    const written = await this.guard(
      () =>
        this.host.store.suspendWorkflow(
          this.workflowId,
          Number.isFinite(due) ? due : undefined,
          this.fence,
          wakeOn,
        ),
      name,
    );
    this.throwIfStopped();
    if (!written) return;
    release?.();
    this.signals.end();
    this.hasSuspended = true;
    this.suspended?.({ wakeAt: Number.isFinite(due) ? due : undefined });
    this.suspended = undefined;
    return new Promise<never>(() => undefined);
  }

  /** A checkpointed value computed in-process (time, randomness, a wake-up time). */
  internal<T>(name: string, compute: () => T, position?: number): Promise<T> {
    const perform = (at: number, startedAt: number) =>
      Promise.resolve(
        this.checkpoint(at, name, startedAt, {
          output: this.host.serializer.serialize(compute(), name),
        }),
      );
    return position === undefined
      ? this.operation<T>(name, perform)
      : this.operationAt<T>(position, name, perform);
  }

  /** A checkpoint of this run at `position`. */
  checkpoint(
    position: number,
    name: string,
    startedAt: number,
    outcome: {
      output?: SerializedValue;
      error?: SerializedValue;
      childWorkflowId?: string;
      attempts?: number;
    },
  ): StepRecord {
    return {
      workflowId: this.workflowId,
      position,
      name,
      output: outcome.output,
      error: outcome.error,
      childWorkflowId: outcome.childWorkflowId,
      attempts: outcome.attempts ?? 1,
      startedAt,
      completedAt: this.host.clock.now(),
    };
  }

  /**
   * Reserves the next position. Every durable call takes its positions synchronously, before
   * its first await, so concurrent calls get positions in call order on every run.
   */
  takePosition(): number {
    this.throwIfStopped();
    return this.position++;
  }

  /**
   * A durable operation at the next position (see {@link operationAt}). Not async: the extra
   * promise an async wrapper returning `operationAt`'s would cost every step two more turns.
   * A refused position (the run stopped or ended) still comes back as a rejection.
   */
  operation<T>(
    name: string,
    perform: (position: number, startedAt: number) => Promise<Performed>,
    options: OperationOptions<T> = NO_OPTIONS,
  ): Promise<T> {
    let position: number;
    try {
      position = this.takePosition();
    } catch (error) {
      // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors -- what was thrown, as an async function passes it on
      return Promise.reject(error);
    }
    return this.operationAt(position, name, perform, options);
  }

  /**
   * The one path of every durable operation: replay `position` if recorded, else perform and
   * record. `options.matches` decides whether a recorded name belongs to this operation (default:
   * equal names); `options.decode` turns the checkpoint into the result (default: output or error).
   */
  async operationAt<T>(
    position: number,
    name: string,
    perform: (position: number, startedAt: number) => Promise<Performed>,
    options: OperationOptions<T> = NO_OPTIONS,
  ): Promise<T> {
    const recorded = this.history.get(position);
    if (recorded) return this.replay(recorded, name, options);
    this.inFlight++;
    try {
      // A position is only ever taken while the body runs (`takePosition` refuses afterwards),
      // so a ContextEndedError from here on means this call was in flight at the end.
      this.throwIfStopped();
      if (this.host.replayOnly) this.endReplay(position, name);
      const performed = await perform(position, this.host.clock.now());
      if ("recorded" in performed) return this.replay(performed.recorded, name, options);
      this.signals.throwIfAbandoned();
      this.signals.throwIfEnded();
      const record = () => this.host.store.recordStep(performed, this.fence);
      if (await this.guard(record, name)) return this.replay(performed, name, options);
      // Another execution recorded this position first: its checkpoint is the truth.
      const steps = await this.guard(() => this.host.store.listSteps(this.workflowId), name);
      return this.replay(steps.find((s) => s.position === position) ?? performed, name, options);
    } catch (error) {
      return this.abandoned(error); // in flight when the body settled
    } finally {
      this.inFlight--;
      this.onSettled?.();
    }
  }

  /** The result of the operation `name` from its checkpoint `record`, checked against its name. */
  private replay<T>(record: StepRecord, name: string, options: OperationOptions<T>): T {
    if (!(options.matches ? options.matches(record.name) : record.name === name)) {
      this.fatal ??= new NonDeterminismError({
        workflowId: this.workflowId,
        position: record.position,
        recordedName: record.name,
        calledName: name,
      });
      throw this.fatal;
    }
    return options.decode ? options.decode(record) : this.outcome<T>(record);
  }

  /**
   * Runs a store call for this run. An outage (`StoreUnavailableError`) is retried with backoff
   * until the store is back or the run stops, and reported once engine-wide (not per run or
   * retry); losing ownership stops the run; any other failure stops it too (it stays PENDING and
   * resumes later) instead of failing the workflow. Once the body settled only the outcome
   * itself (`forOutcome`) may reach the store.
   */
  async guard<T>(call: () => Promise<T>, what: string, forOutcome = false): Promise<T> {
    const { outage } = this.host;
    for (let waitMs = 100; ; waitMs = Math.min(waitMs * 2, 5_000)) {
      if (!forOutcome) this.signals.throwIfEnded();
      try {
        const result = await call();
        outage.succeeded();
        return result;
      } catch (error) {
        if (WorkflowOwnershipLostError.is(error)) {
          this.lose();
          throw error;
        }
        if (!StoreUnavailableError.is(error) || this.signals.stopped) {
          throw this.storeFailed(what, error);
        }
        outage.failed(error);
        this.log.debug(`store unavailable while recording "${what}"; retrying in ${waitMs} ms`);
        await delay(waitMs, this.signals.stopSignal).catch(() => undefined);
      }
    }
  }

  /** Replay-only: the history ends at `position`; report it and stop the run (nothing is written). */
  private endReplay(position: number, name: string): never {
    this.host.replayOnly?.onHistoryEnd(this.workflowId, position, name);
    this.stop(`replay reached the end of the recorded history at position ${position}`);
    this.throwIfStopped();
    throw new Error("unreachable: the run was stopped");
  }

  /**
   * Replay-only, once the body has returned or thrown: recorded operations it never reached mean
   * the code diverged (it returned earlier than the recorded run did).
   */
  checkHistoryConsumed(): void {
    if (!this.host.replayOnly || this.fatal || this.position >= this.replayLength) return;
    const record = [...this.history.values()].find((r) => r.position >= this.position);
    this.fatal = new NonDeterminismError({
      workflowId: this.workflowId,
      position: record?.position ?? this.position,
      recordedName: record?.name ?? "(unknown)",
      calledName: "(none: the workflow returned)",
    });
  }

  /** Throws if the run was stopped or cancelled, replay already failed, or the body settled. */
  throwIfStopped(): void {
    this.signals.throwIfEnded();
    if (this.fatal) throw this.fatal;
    this.signals.throwIfStopped();
  }

  /** Decodes a checkpoint: its output, or its error thrown. */
  outcome<T>(record: StepRecord): T {
    if (record.error !== undefined) throw this.host.serializer.deserialize(record.error);
    return this.host.serializer.deserialize<T>(record.output ?? "-1");
  }

  /** Stops the run because a store call for `what` failed; the reason to throw. */
  storeFailed(what: string, error: unknown): unknown {
    this.stop(`could not record "${what}"`, error);
    return this.signals.stopReason;
  }

  /** The name recorded at the next position, if any (what a patch check looks at). */
  get nextRecordedName(): string | undefined {
    return this.history.get(this.position)?.name;
  }
}
