/**
 * One run of one workflow in this process: the object behind `ctx`. It hands out positions in
 * call order, replays recorded checkpoints (checking that the same operation is called at each
 * position), and records new ones: one write per operation, no read. It does not decide when a
 * workflow starts or finishes; `executeWorkflow` and the engine do.
 */
import { randomUUID } from "node:crypto";
import type { ChildOptions, WorkflowContext } from "../context.js";
import { toMs, type Duration } from "../duration.js";
import {
  CairnError,
  NonDeterminismError,
  WorkflowInterruptedError,
  type CairnErrorCode,
} from "../errors.js";
import type { WorkflowHandle } from "../handle.js";
import { scopedLogger, type Logger } from "../logger.js";
import { deserialize, serialize, serializeError } from "../serialization.js";
import type { StepDefinition } from "../step.js";
import type { SerializedValue, StepRecord, WorkflowStore } from "../store/workflow-store.js";
import type { Workflow, WorkflowDefinition } from "../workflow.js";
import { attachOperations, type DurableOperations } from "./operations.js";
import { delay, runAttempts } from "./run-attempts.js";

/** What a run needs from the engine that owns it. */
export interface ExecutionHost {
  readonly store: WorkflowStore;
  readonly logger: Logger;
  /** Creates the child workflow (or finds it) and runs it here if it was created. */
  startChild(
    definition: WorkflowDefinition,
    input: unknown,
    workflowId: string,
    parentWorkflowId: string,
  ): Promise<void>;
  handle(workflowId: string): WorkflowHandle<unknown>;
}

/** Errors from starting a child that are facts about the call, so replay must see them again. */
const recordableChildErrors: readonly CairnErrorCode[] = [
  "VALIDATION_FAILED",
  "SERIALIZATION_FAILED",
  "WORKFLOW_CONFLICT",
  "WORKFLOW_NOT_REGISTERED",
];

/** The durable state of one workflow run in this process. */
export class Execution implements WorkflowContext, DurableOperations {
  readonly workflowId: string;
  readonly workflowName: string;
  readonly log: Logger;
  /** Set when replay finds a mismatch; the workflow fails with it whatever the body does. */
  fatal: NonDeterminismError | undefined;
  private position = 0;
  private readonly host: ExecutionHost;
  private readonly history: ReadonlyMap<number, StepRecord>;
  private readonly replayLength: number;
  /** Aborted to stop at the next durable operation (and wake sleeps). */
  private readonly softStop = new AbortController();
  /** Aborted to abandon running step attempts too. */
  private readonly hardStop = new AbortController();

  constructor(options: {
    host: ExecutionHost;
    workflowId: string;
    workflowName: string;
    history: readonly StepRecord[];
  }) {
    this.host = options.host;
    this.workflowId = options.workflowId;
    this.workflowName = options.workflowName;
    this.history = new Map(options.history.map((record) => [record.position, record]));
    this.replayLength = options.history.reduce((max, r) => Math.max(max, r.position + 1), 0);
    this.log = scopedLogger(
      options.host.logger,
      { workflowId: this.workflowId, workflow: this.workflowName },
      () => this.position < this.replayLength,
    );
    attachOperations(this, this);
  }

  /** Why the run stopped early, if it did. */
  get interruption(): WorkflowInterruptedError | undefined {
    return this.softStop.signal.aborted
      ? (this.softStop.signal.reason as WorkflowInterruptedError)
      : undefined;
  }

  /** Stops the run at its next durable operation; running steps may still finish and record. */
  stop(reason: string, cause?: unknown): void {
    if (this.softStop.signal.aborted) return;
    const error = new WorkflowInterruptedError(this.workflowId, reason, { cause });
    this.softStop.abort(error);
  }

  /** Abandons running step attempts too (their signals abort). */
  abandon(): void {
    this.hardStop.abort(
      this.softStop.signal.reason ?? new WorkflowInterruptedError(this.workflowId, "abandoned"),
    );
  }

  runStep(definition: StepDefinition, args: readonly unknown[]): Promise<unknown> {
    return this.operation(definition.name, async (position, startedAt) => {
      const result = await runAttempts(definition, args, {
        workflowId: this.workflowId,
        log: this.log,
        stopSignal: this.hardStop.signal,
      });
      const subject = `output of step "${definition.name}"`;
      if (!result.ok) {
        return this.checkpoint(position, definition.name, startedAt, {
          error: serializeError(result.error, `error of step "${definition.name}"`),
          attempts: result.attempts,
        });
      }
      try {
        const output = serialize(result.value, subject);
        return this.checkpoint(position, definition.name, startedAt, {
          output,
          attempts: result.attempts,
        });
      } catch (error) {
        const failure = serializeError(error, subject);
        return this.checkpoint(position, definition.name, startedAt, {
          error: failure,
          attempts: result.attempts,
        });
      }
    });
  }

  async runChild(
    definition: WorkflowDefinition,
    input: unknown,
    options?: ChildOptions,
  ): Promise<unknown> {
    const handle = await this.startChild(definition, input, options);
    return handle.result();
  }

  start<In, Out>(
    child: Workflow<In, Out>,
    input: In,
    options?: ChildOptions,
  ): Promise<WorkflowHandle<Out>> {
    return this.startChild(child["~cairn"], input, options) as Promise<WorkflowHandle<Out>>;
  }

  async sleep(duration: Duration): Promise<void> {
    const ms = toMs(duration, "ctx.sleep duration");
    const wakeAt = await this.internal("cairn.sleep", () => Date.now() + ms);
    const remainingMs = wakeAt - Date.now();
    if (remainingMs > 0) await delay(remainingMs, this.softStop.signal);
  }

  now(): Promise<number> {
    return this.internal("cairn.now", () => Date.now());
  }

  random(): Promise<number> {
    return this.internal("cairn.random", () => Math.random());
  }

  uuid(): Promise<string> {
    return this.internal("cairn.uuid", () => randomUUID());
  }

  private async startChild(
    definition: WorkflowDefinition,
    input: unknown,
    options?: ChildOptions,
  ): Promise<WorkflowHandle<unknown>> {
    const name = `workflow:${definition.name}`;
    const childId = await this.operation<string>(name, async (position, startedAt) => {
      const workflowId = options?.id ?? `${this.workflowId}:${position}`;
      try {
        await this.host.startChild(definition, input, workflowId, this.workflowId);
      } catch (error) {
        if (!CairnError.is(error) || !recordableChildErrors.includes(error.code)) throw error;
        return this.checkpoint(position, name, startedAt, { error: serializeError(error, name) });
      }
      return this.checkpoint(position, name, startedAt, {
        output: serialize(workflowId, name),
        childWorkflowId: workflowId,
      });
    });
    return this.host.handle(childId);
  }

  /** A checkpointed value computed in-process (time, randomness, a wake-up time). */
  private internal<T>(name: string, compute: () => T): Promise<T> {
    return this.operation<T>(name, (position, startedAt) =>
      Promise.resolve(
        this.checkpoint(position, name, startedAt, { output: serialize(compute(), name) }),
      ),
    );
  }

  private checkpoint(
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
      completedAt: Date.now(),
    };
  }

  /**
   * The one path of every durable operation: take the next position (synchronously, so
   * concurrent calls get call-order positions), replay it if recorded, else perform and record.
   */
  private async operation<T>(
    name: string,
    perform: (position: number, startedAt: number) => Promise<StepRecord>,
  ): Promise<T> {
    this.throwIfStopped();
    const position = this.position++;
    const recorded = this.history.get(position);
    if (recorded) return this.replay<T>(recorded, name);
    const record = await perform(position, Date.now());
    this.hardStop.signal.throwIfAborted();
    let stored: boolean;
    try {
      stored = await this.host.store.recordStep(record);
    } catch (error) {
      this.stop(`could not record the checkpoint of "${name}"`, error);
      throw this.softStop.signal.reason;
    }
    if (stored) return this.outcome<T>(record);
    // Another execution recorded this position first: its checkpoint is the truth.
    const winner = (await this.host.store.listSteps(this.workflowId)).find(
      (s) => s.position === position,
    );
    return winner ? this.replay<T>(winner, name) : this.outcome<T>(record);
  }

  private replay<T>(recorded: StepRecord, calledName: string): T {
    if (recorded.name !== calledName) {
      this.fatal ??= new NonDeterminismError({
        workflowId: this.workflowId,
        position: recorded.position,
        recordedName: recorded.name,
        calledName,
      });
      throw this.fatal;
    }
    return this.outcome<T>(recorded);
  }

  private outcome<T>(record: StepRecord): T {
    if (record.error !== undefined) throw deserialize(record.error);
    return deserialize<T>(record.output ?? "-1");
  }

  private throwIfStopped(): void {
    if (this.fatal) throw this.fatal;
    this.softStop.signal.throwIfAborted();
  }
}
