/**
 * The memory store's tables and the rules its roles share: the fence check, first-write-wins
 * checkpoints, recovery counting, the version rule of claims, and notifications delivered in a
 * microtask after the change (as Postgres delivers them after commit). Each role of the store
 * (`running.ts`, `messaging.ts`, ...) works on one `MemoryTables`.
 */
import { InvalidOptionError, WorkflowOwnershipLostError } from "../../errors.js";
import type { StoreNotification } from "../../store/messaging-store.js";
import type { RecoveryClaim, RecoveryResult } from "../../store/ownership-store.js";
import type {
  CallerTransaction,
  Fence,
  SerializedValue,
  StepAttempt,
  StepRecord,
  WorkflowRecord,
  WorkflowStatus,
} from "../../store/records.js";
import type { ForkQueue } from "../../store/control-store.js";
import type { CreateWorkflowResult, NewWorkflow } from "../../store/running-store.js";
import { wakeKeyOf } from "../../store/suspension-store.js";
import type { WorkflowStore } from "../../store/workflow-store.js";

/** The statuses a workflow ends in; moving to one stamps `completedAt`. */
export const FINAL_STATUSES: readonly WorkflowStatus[] = [
  "SUCCESS",
  "ERROR",
  "CANCELLED",
  "DEAD_LETTER",
];

/** A workflow row and what recovery remembers about it. */
export interface StoredWorkflow {
  record: WorkflowRecord;
  /** Number of checkpoints at the last recovery claim; more now means progress was made. */
  recoveryProgress: number;
  /**
   * Set while suspended: the owner epoch it was suspended at, its due time (engine clock; none
   * when it waits only for arrivals) and the keys of the arrivals it waits for.
   */
  wakeEpoch?: number | undefined;
  wakeAt?: number | undefined;
  wakeKeys?: readonly string[] | undefined;
}

export interface StoredMessage {
  readonly destinationId: string;
  readonly topic: string;
  readonly message: SerializedValue;
  /** Send order, for FIFO per topic. */
  readonly seq: number;
  consumed: boolean;
}

export interface StoredExecutor {
  readonly executorId: string;
  readonly appVersion: string | undefined;
  readonly leaseMs: number;
  heartbeatAt: number;
  status: "alive" | "stopped";
  readonly workflowNames: readonly string[] | undefined;
}

export interface StoredStreamEntry {
  readonly value: SerializedValue | undefined;
  readonly closed: boolean;
}

/**
 * Rows another store keeps beside these tables, and the rules of this store that must see them
 * — as the SQL store's statements see `queue_items`. The memory queue store of
 * `@cairn/queue/testing` registers one through `MemoryStore.tables`; nothing else should.
 */
export interface MemoryTablesExtension {
  /** Whether `workflowId` holds a row here: takeover leaves it (its owner puts it back itself). */
  holds(workflowId: string): boolean;
  /**
   * A resume of `workflowId`: true when it goes back to wait here, so the store makes it
   * `ENQUEUED` (owned by no executor) instead of `PENDING`.
   */
  resumes(workflowId: string): boolean;
  /** The workflow was deleted (retention, `deleteWorkflows`): its rows go with it. */
  deleted(workflowId: string): void;
  /**
   * A fork created `ENQUEUED` on `queue.queueName`: true when this store put it in that queue
   * (a fork onto a queue no extension takes is refused).
   */
  enqueuesFork?(workflow: WorkflowRecord, queue: ForkQueue): boolean;
}

/** One value an event took, by the position of the `setEvent` that wrote it. */
export interface StoredEventWrite {
  readonly key: string;
  readonly value: SerializedValue;
}

/** The methods of a store (what `calls` counts). */
export type StoreMethod = Exclude<keyof WorkflowStore, "exclusive">;

const storeMethods: readonly StoreMethod[] = [
  "migrate",
  "createWorkflow",
  "createWorkflows",
  "getWorkflow",
  "listSteps",
  "listStepsOf",
  "recordStep",
  "recordStepAttempt",
  "listStepAttempts",
  "finishWorkflow",
  "claimRecoverable",
  "sendMessage",
  "consumeMessage",
  "setEvent",
  "getEvent",
  "writeStream",
  "readStream",
  "cancelWorkflow",
  "resumeWorkflow",
  "cancelWorkflows",
  "resumeWorkflows",
  "forkWorkflow",
  "listWorkflows",
  "heartbeat",
  "stopExecutor",
  "listExecutors",
  "takeOver",
  "refundRecoveryAttempts",
  "setAppVersion",
  "deleteFinished",
  "deleteWorkflows",
  "setAttributes",
  "suspendWorkflow",
  "claimDueWorkflows",
  "listRunnable",
  "listCreatedBatch",
  "subscribe",
  "close",
];

/** Everything a memory store holds, with the rules its roles share. */
export class MemoryTables {
  readonly now: () => number;
  readonly workflows = new Map<string, StoredWorkflow>();
  readonly steps = new Map<string, Map<number, StepRecord>>();
  /** A step's last failed attempt, by workflow and position. */
  readonly stepAttempts = new Map<string, Map<number, StepAttempt>>();
  readonly messages = new Map<string, StoredMessage>();
  /** The IDs of the workflows that suspended waiting for each arrival key (some may be stale). */
  readonly waiters = new Map<string, Set<string>>();
  /** Keyed by `JSON.stringify([workflowId, key])`. */
  readonly events = new Map<string, SerializedValue>();
  /** Keyed by workflow ID, then by position: every value each event took (for forks). */
  readonly eventHistory = new Map<string, Map<number, StoredEventWrite>>();
  /** Keyed by `JSON.stringify([workflowId, key])`, then by the writing step's position. */
  readonly streams = new Map<string, Map<number, StoredStreamEntry>>();
  readonly listeners = new Set<(notification: StoreNotification) => void>();
  readonly executors = new Map<string, StoredExecutor>();
  readonly calls = Object.fromEntries(storeMethods.map((m) => [m, 0])) as Record<
    StoreMethod,
    number
  >;
  /** Stores kept beside this one (see {@link MemoryTablesExtension}). */
  readonly extensions: MemoryTablesExtension[] = [];
  messageSeq = 0;
  closed = false;

  constructor(now: () => number) {
    this.now = now;
  }

  /** Counts a call; throws once the store is closed. */
  enter(method: StoreMethod): void {
    if (this.closed) throw new Error(`memory store: ${method} called after close()`);
    this.calls[method] += 1;
  }

  /** The memory store has no database transactions to write into: a `tx` is refused. */
  refuseTransaction(options: CallerTransaction | undefined): void {
    if (options?.tx !== undefined) {
      throw new InvalidOptionError(
        "tx",
        "the memory store cannot write inside a database transaction",
      );
    }
  }

  stepsOf(workflowId: string): Map<number, StepRecord> {
    let map = this.steps.get(workflowId);
    if (!map) this.steps.set(workflowId, (map = new Map<number, StepRecord>()));
    return map;
  }

  /** Throws unless `fence` still matches the workflow's owner and epoch. */
  checkFence(workflowId: string, fence: Fence | undefined): void {
    if (!fence) return;
    const record = this.workflows.get(workflowId)?.record;
    if (record?.executorId !== fence.executorId || record.ownerEpoch !== fence.epoch) {
      throw new WorkflowOwnershipLostError(workflowId, fence.executorId);
    }
  }

  /** First write wins: false when a checkpoint already holds the position. */
  insertStep(step: StepRecord): boolean {
    const map = this.stepsOf(step.workflowId);
    if (map.has(step.position)) return false;
    map.set(step.position, { ...step });
    return true;
  }

  /** Whether a store kept beside this one holds `workflowId` (a queue item). */
  heldElsewhere(workflowId: string): boolean {
    return this.extensions.some((e) => e.holds(workflowId));
  }

  /** Removes a workflow with its steps and attempts, the messages sent to it, its events and streams. */
  deleteWorkflow(workflowId: string): void {
    this.workflows.delete(workflowId);
    for (const extension of this.extensions) extension.deleted(workflowId);
    this.steps.delete(workflowId);
    this.eventHistory.delete(workflowId);
    this.stepAttempts.delete(workflowId);
    for (const [id, m] of this.messages)
      if (m.destinationId === workflowId) this.messages.delete(id);
    for (const key of [...this.events.keys(), ...this.streams.keys()]) {
      if ((JSON.parse(key) as string[])[0] === workflowId) {
        this.events.delete(key);
        this.streams.delete(key);
      }
    }
  }

  /**
   * Applies `patch`; a move to a final status stamps `completedAt` and wakes the suspensions
   * waiting for it to finish.
   */
  update(stored: StoredWorkflow, patch: Partial<WorkflowRecord>): WorkflowRecord {
    const at = this.now();
    const finishing =
      patch.status !== undefined &&
      FINAL_STATUSES.includes(patch.status) &&
      !FINAL_STATUSES.includes(stored.record.status);
    stored.record = {
      ...stored.record,
      ...patch,
      ...(finishing ? { completedAt: at } : {}),
      updatedAt: at,
    };
    if (finishing)
      this.arrived(wakeKeyOf({ kind: "status", workflowId: stored.record.workflowId }));
    return stored.record;
  }

  /** Whether `stored` is suspended now: PENDING, at the epoch its suspension was written under. */
  suspended(stored: StoredWorkflow): boolean {
    return (
      stored.wakeEpoch !== undefined &&
      stored.record.status === "PENDING" &&
      stored.wakeEpoch === stored.record.ownerEpoch
    );
  }

  /**
   * Something arrived under `key` (a message, an event, a workflow finished): the suspensions
   * waiting for it become due at once, and their executors hear of it (decision 0014).
   */
  arrived(key: string): void {
    const ids = this.waiters.get(key);
    if (!ids) return;
    this.waiters.delete(key);
    for (const id of ids) {
      const stored = this.workflows.get(id);
      if (!stored || !this.suspended(stored) || !stored.wakeKeys?.includes(key)) continue;
      stored.wakeAt = 0;
      const { workflowId, executorId } = stored.record;
      this.notify({ kind: "wake", workflowId, executorId });
    }
  }

  insertWorkflow(workflow: NewWorkflow, forkedFrom: string | undefined): CreateWorkflowResult {
    const existing = this.workflows.get(workflow.workflowId);
    if (existing) return { created: false, workflow: existing.record };
    const at = this.now();
    const status = workflow.status ?? "PENDING";
    const record: WorkflowRecord = {
      workflowId: workflow.workflowId,
      name: workflow.name,
      status,
      input: workflow.input,
      output: undefined,
      error: undefined,
      executorId: workflow.executorId,
      parentWorkflowId: workflow.parentWorkflowId,
      recoveryAttempts: 0,
      deadlineAt: workflow.deadlineAt,
      forkedFrom,
      queueName: workflow.queueName,
      appVersion: workflow.appVersion,
      ownerEpoch: 0,
      createdAt: at,
      updatedAt: at,
      startedAt: status === "PENDING" ? at : undefined,
      completedAt: undefined,
      attributes: workflow.attributes && structuredClone(workflow.attributes),
      traceContext: workflow.traceContext && { ...workflow.traceContext },
    };
    this.workflows.set(workflow.workflowId, { record, recoveryProgress: 0 });
    return { created: true, workflow: record };
  }

  /** Delivers `notification` to the listeners in a microtask, after the change is applied. */
  notify(notification: StoreNotification): void {
    const targets = [...this.listeners];
    queueMicrotask(() => {
      for (const listener of targets) listener(notification);
    });
  }

  notifyStatus(record: WorkflowRecord): void {
    const { workflowId, status, executorId } = record;
    this.notify({ kind: "status", workflowId, status, executorId });
  }

  expired(executor: StoredExecutor): boolean {
    return executor.status === "stopped" || executor.heartbeatAt + executor.leaseMs < this.now();
  }

  /** The version rule of claims: same version, no version, or a version no alive executor runs. */
  versionAllowed(record: WorkflowRecord, appVersion: string | undefined): boolean {
    return (
      appVersion === undefined ||
      record.appVersion === undefined ||
      record.appVersion === appVersion ||
      ![...this.executors.values()].some(
        (e) => !this.expired(e) && e.appVersion === record.appVersion,
      )
    );
  }

  /**
   * Moves a claimed workflow to `claim.executorId`, counting recovery attempts unless `count` is
   * false; may dead-letter it. A suspended one moves suspended (at the new epoch) and is not
   * handed back to run.
   */
  claimOne(stored: StoredWorkflow, claim: RecoveryClaim, into: RecoveryResult, count = true): void {
    const { record } = stored;
    if (this.suspended(stored)) {
      const ownerEpoch = record.ownerEpoch + 1;
      this.update(stored, { executorId: claim.executorId, ownerEpoch });
      stored.wakeEpoch = ownerEpoch;
      return;
    }
    if (!count) {
      const patch = { executorId: claim.executorId, ownerEpoch: record.ownerEpoch + 1 };
      (into.recovered as WorkflowRecord[]).push(this.update(stored, patch));
      return;
    }
    const progress = this.steps.get(record.workflowId)?.size ?? 0;
    const attempts = progress > stored.recoveryProgress ? 1 : record.recoveryAttempts + 1;
    stored.recoveryProgress = progress;
    const limit = claim.maxRecoveryAttempts[record.name] ?? Number.POSITIVE_INFINITY;
    const patch = {
      recoveryAttempts: attempts,
      executorId: claim.executorId,
      ownerEpoch: record.ownerEpoch + 1,
    };
    if (attempts > limit) {
      (into.deadLettered as WorkflowRecord[]).push(
        this.update(stored, { ...patch, status: "DEAD_LETTER" }),
      );
    } else {
      (into.recovered as WorkflowRecord[]).push(this.update(stored, patch));
    }
  }
}

/** The key of an event or a stream in its table. */
export const pairKey = (workflowId: string, key: string): string =>
  JSON.stringify([workflowId, key]);
