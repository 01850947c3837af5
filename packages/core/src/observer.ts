/**
 * Observers: how code outside the engine watches workflows run — tracing and metrics
 * (`@cairn/otel`), audit trails, alerts — without core knowing any of them. An observer may
 * carry trace context into a new workflow (`inject`), wrap each run and each step attempt (so a
 * span can be current around them), and receive lifecycle events. Every member is optional, and
 * an engine without observers pays nothing for them. Observers see; they never change what a
 * workflow does: an error thrown by `onEvent` or `inject` is logged and ignored.
 */
import type { WorkflowStatus } from "./store/records.js";
import type { TraceCarrier } from "./trace-carrier.js";

export type { TraceCarrier };

/** Why a run of a workflow began in this process. */
export type RunCause =
  /** This engine created the workflow (`engine.start`, a child, a fork) and runs it at once. */
  | "start"
  /** Another party assigned it here: a client start, a resume, a queue claim. */
  | "pickup"
  /** Launch-time recovery of this executor's unfinished workflows. */
  | "recovery"
  /** Taken over from an executor whose lease expired or that stopped. */
  | "takeover";

/** One run of one workflow in this process, as observers see it. */
export interface RunInfo {
  readonly workflowId: string;
  readonly workflowName: string;
  /** The engine running it. */
  readonly executorId: string;
  readonly cause: RunCause;
  /** Recoveries since the workflow last made progress (0 on a first run). */
  readonly recoveryAttempt: number;
  readonly parentWorkflowId: string | undefined;
  readonly queueName: string | undefined;
  /** Epoch ms at which the workflow was created (enqueued, for a queued one). */
  readonly createdAt: number;
  /** Epoch ms at which this run began here. */
  readonly startedAt: number;
  /** The trace context stored with the workflow, if an observer injected one at creation. */
  readonly traceContext: TraceCarrier | undefined;
}

/** How a run ended here. */
export interface RunEnd {
  /**
   * The status the run left the workflow in: `SUCCESS`, `ERROR`, `CANCELLED`, or `PENDING` when
   * it stopped here without finishing (shutdown, store outage, taken over): it runs again later.
   */
  readonly status: WorkflowStatus;
  /** For `ERROR`: the workflow's error. For a stop: why it stopped. */
  readonly error?: unknown;
}

/** One attempt of a step (or a transaction) inside a run. */
export interface AttemptInfo {
  readonly run: RunInfo;
  readonly kind: "step" | "transaction";
  readonly name: string;
  /** The operation's position in the workflow's history. */
  readonly position: number;
  /** 1-based. */
  readonly attempt: number;
}

/** How an attempt ended: its error, when it threw (it may still be retried). */
export type AttemptEnd = { readonly ok: true } | { readonly ok: false; readonly error: unknown };

/** What happened to a workflow, for code that wants to know (logs, metrics, alerts). */
export type LifecycleEvent =
  /** A run began here of a workflow that was not interrupted: `cause` is `start` or `pickup`. */
  | { readonly type: "workflow.started"; readonly run: RunInfo }
  /** A run began here continuing an interrupted workflow: `cause` is `recovery` or `takeover`. */
  | { readonly type: "workflow.recovered"; readonly run: RunInfo }
  /** The workflow finished with its output recorded (status `SUCCESS`). */
  | { readonly type: "workflow.finished"; readonly run: RunInfo; readonly durationMs: number }
  /** The workflow finished with its error recorded (status `ERROR`). */
  | {
      readonly type: "workflow.failed";
      readonly run: RunInfo;
      readonly error: unknown;
      readonly durationMs: number;
    }
  /** The workflow was cancelled while it ran here. */
  | { readonly type: "workflow.cancelled"; readonly run: RunInfo; readonly durationMs: number }
  /** The run stopped here unfinished (shutdown, store failure, taken over); still `PENDING`. */
  | {
      readonly type: "workflow.stopped";
      readonly run: RunInfo;
      readonly reason: unknown;
      readonly durationMs: number;
    }
  /**
   * The run left memory while it waits (the engine's `suspendAfterMs`); still `PENDING`. It runs
   * again, replaying its history, when it is due at `wakeAt` (epoch ms) or, sooner, when what it
   * waits for arrives (a message, an event, a workflow finishing); `wakeAt` is `undefined` when
   * it waits only for an arrival.
   */
  | {
      readonly type: "workflow.suspended";
      readonly run: RunInfo;
      readonly wakeAt: number | undefined;
      readonly durationMs: number;
    }
  /** Recovery, a takeover or a queue's claim moved a workflow that kept crashing its process to `DEAD_LETTER`. */
  | {
      readonly type: "workflow.dead-lettered";
      readonly workflowId: string;
      readonly workflowName: string;
      readonly recoveryAttempts: number;
      readonly executorId: string;
    }
  /** A step attempt failed and the step will be attempted again after `delayMs`. */
  | {
      readonly type: "step.retried";
      readonly attempt: AttemptInfo;
      readonly error: unknown;
      readonly delayMs: number;
    }
  /** The store became unreachable; reported once per outage, not per workflow or retry. */
  | { readonly type: "store.outage-started"; readonly executorId: string; readonly error: unknown }
  /** The store answered again after an outage that lasted `durationMs`. */
  | {
      readonly type: "store.outage-ended";
      readonly executorId: string;
      readonly durationMs: number;
    };

/** Watches an engine's workflows. Pass it in `createEngine({ observers })`. */
export interface EngineObserver {
  /**
   * Called when a workflow is created — by `engine.start`, `ctx.start` (with the starting run as
   * `parent`), `client.start` — to add trace context to `carrier`. Stored with the workflow.
   */
  inject?(carrier: Record<string, string>, parent: RunInfo | undefined): void;
  /**
   * Wraps one run of a workflow in this process. Must call `execute` exactly once and return
   * what it resolves to (it never rejects).
   */
  aroundRun?(run: RunInfo, execute: () => Promise<RunEnd>): Promise<RunEnd>;
  /**
   * Wraps one attempt of a step or transaction. Must call `execute` exactly once and return what
   * it resolves to (it never rejects; a failed attempt resolves `{ ok: false }`).
   */
  aroundAttempt?(attempt: AttemptInfo, execute: () => Promise<AttemptEnd>): Promise<AttemptEnd>;
  /** Receives every lifecycle event, synchronously, where it happens. Keep it quick. */
  onEvent?(event: LifecycleEvent): void;
}
