/**
 * An in-memory `WorkflowStore`: the reference implementation of the store contract, for unit
 * tests and for trying Cairn without a database. It keeps nothing across processes, so it proves
 * semantics, not durability. Notifications go to `subscribe` listeners in a microtask queued
 * after the change is applied, so listeners never run inside the writing call (as with
 * Postgres, where they arrive after commit).
 */
import { WorkflowOwnershipLostError } from "../errors.js";
import type {
  CreateWorkflowResult,
  ExecutorRecord,
  Fence,
  NewMessage,
  NewWorkflow,
  RecoveryClaim,
  RecoveryResult,
  SendResult,
  SerializedValue,
  StepRecord,
  StoreNotification,
  StreamEntry,
  WorkflowFilter,
  WorkflowOutcome,
  WorkflowRecord,
  WorkflowStatus,
  WorkflowStore,
  TakeoverClaim,
} from "../store/workflow-store.js";

interface StoredWorkflow {
  record: WorkflowRecord;
  /** Number of checkpoints at the last recovery claim; more now means progress was made. */
  recoveryProgress: number;
}

interface StoredMessage {
  readonly destinationId: string;
  readonly topic: string;
  readonly message: SerializedValue;
  /** Send order, for FIFO per topic. */
  readonly seq: number;
  consumed: boolean;
}

interface StoredExecutor {
  readonly executorId: string;
  readonly appVersion: string | undefined;
  readonly leaseMs: number;
  heartbeatAt: number;
  status: "alive" | "stopped";
}

interface StoredStreamEntry {
  readonly value: SerializedValue | undefined;
  readonly closed: boolean;
}

/** Options of {@link createMemoryStore}. */
export interface MemoryStoreOptions {
  /** Source of timestamps; defaults to `Date.now`. */
  readonly now?: () => number;
}

/** The methods of a store (what `calls` counts). */
export type StoreMethod = Exclude<keyof WorkflowStore, "exclusive">;

/** A `WorkflowStore` held in this process's memory. */
export interface MemoryStore extends WorkflowStore {
  /** How many calls each method received: lets tests assert the engine's write pattern. */
  readonly calls: Readonly<Record<StoreMethod, number>>;
}

const resumable: readonly WorkflowStatus[] = ["CANCELLED", "ERROR", "DEAD_LETTER"];
const finished: readonly WorkflowStatus[] = ["SUCCESS", "ERROR", "CANCELLED"];

/** Creates an empty in-memory store. */
export function createMemoryStore(options: MemoryStoreOptions = {}): MemoryStore {
  const now = options.now ?? Date.now;
  const workflows = new Map<string, StoredWorkflow>();
  const steps = new Map<string, Map<number, StepRecord>>();
  const messages = new Map<string, StoredMessage>();
  const events = new Map<string, SerializedValue>();
  const streams = new Map<string, Map<number, StoredStreamEntry>>();
  const listeners = new Set<(notification: StoreNotification) => void>();
  const executors = new Map<string, StoredExecutor>();
  let messageSeq = 0;
  const calls: Record<StoreMethod, number> = {
    migrate: 0,
    createWorkflow: 0,
    getWorkflow: 0,
    listSteps: 0,
    recordStep: 0,
    finishWorkflow: 0,
    claimRecoverable: 0,
    sendMessage: 0,
    consumeMessage: 0,
    setEvent: 0,
    getEvent: 0,
    writeStream: 0,
    readStream: 0,
    cancelWorkflow: 0,
    resumeWorkflow: 0,
    forkWorkflow: 0,
    listWorkflows: 0,
    heartbeat: 0,
    stopExecutor: 0,
    listExecutors: 0,
    takeOver: 0,
    setAppVersion: 0,
    deleteFinished: 0,
    subscribe: 0,
    close: 0,
  };
  let closed = false;

  const enter = (method: StoreMethod): void => {
    if (closed) throw new Error(`memory store: ${method} called after close()`);
    calls[method] += 1;
  };
  const stepsOf = (workflowId: string): Map<number, StepRecord> => {
    let map = steps.get(workflowId);
    if (!map) steps.set(workflowId, (map = new Map<number, StepRecord>()));
    return map;
  };
  /** Throws unless `fence` still matches the workflow's owner and epoch. */
  const checkFence = (workflowId: string, fence: Fence | undefined): void => {
    if (!fence) return;
    const record = workflows.get(workflowId)?.record;
    if (record?.executorId !== fence.executorId || record.ownerEpoch !== fence.epoch) {
      throw new WorkflowOwnershipLostError(workflowId, fence.executorId);
    }
  };
  const expired = (e: StoredExecutor): boolean =>
    e.status === "stopped" || e.heartbeatAt + e.leaseMs < now();
  /** Moves a claimed workflow to `claim.executorId`, counting recovery attempts; may dead-letter it. */
  const claimOne = (stored: StoredWorkflow, claim: RecoveryClaim, into: RecoveryResult): void => {
    const { record } = stored;
    const progress = steps.get(record.workflowId)?.size ?? 0;
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
        update(stored, { ...patch, status: "DEAD_LETTER" }),
      );
    } else {
      (into.recovered as WorkflowRecord[]).push(update(stored, patch));
    }
  };
  /** The version rule of claims: same version, no version, or a version no alive executor runs. */
  const versionAllowed = (record: WorkflowRecord, appVersion: string | undefined): boolean =>
    appVersion === undefined ||
    record.appVersion === undefined ||
    record.appVersion === appVersion ||
    ![...executors.values()].some((e) => !expired(e) && e.appVersion === record.appVersion);
  const insertStep = (step: StepRecord): boolean => {
    const map = stepsOf(step.workflowId);
    if (map.has(step.position)) return false;
    map.set(step.position, { ...step });
    return true;
  };
  const update = (stored: StoredWorkflow, patch: Partial<WorkflowRecord>): WorkflowRecord => {
    stored.record = { ...stored.record, ...patch, updatedAt: now() };
    return stored.record;
  };
  const notify = (notification: StoreNotification): void => {
    const targets = [...listeners];
    queueMicrotask(() => {
      for (const listener of targets) listener(notification);
    });
  };
  const notifyStatus = (record: WorkflowRecord): void => {
    const { workflowId, status, executorId } = record;
    notify({ kind: "status", workflowId, status, executorId });
  };
  const insertWorkflow = (
    workflow: NewWorkflow,
    forkedFrom: string | undefined,
  ): CreateWorkflowResult => {
    const existing = workflows.get(workflow.workflowId);
    if (existing) return { created: false, workflow: existing.record };
    const at = now();
    const record: WorkflowRecord = {
      workflowId: workflow.workflowId,
      name: workflow.name,
      status: workflow.status ?? "PENDING",
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
    };
    workflows.set(workflow.workflowId, { record, recoveryProgress: 0 });
    return { created: true, workflow: record };
  };
  /** IDs of every descendant of `workflowId`, whatever their status, parents first. */
  const descendantsOf = (workflowId: string): string[] => {
    const found: string[] = [];
    const queue = [workflowId];
    for (let id = queue.shift(); id !== undefined; id = queue.shift()) {
      for (const { record } of workflows.values()) {
        if (record.parentWorkflowId === id && !found.includes(record.workflowId)) {
          found.push(record.workflowId);
          queue.push(record.workflowId);
        }
      }
    }
    return found;
  };
  /** Deletes the error checkpoints after the last successful one; returns how many remain. */
  const dropTrailingErrors = (workflowId: string): number => {
    const map = stepsOf(workflowId);
    const positions = [...map.keys()].sort((a, b) => b - a);
    for (const position of positions) {
      if (map.get(position)?.error === undefined) break;
      map.delete(position);
    }
    return map.size;
  };

  return {
    calls,
    exclusive: true,
    async migrate() {
      enter("migrate");
    },
    async createWorkflow(workflow: NewWorkflow): Promise<CreateWorkflowResult> {
      enter("createWorkflow");
      const result = insertWorkflow(workflow, undefined);
      if (result.created && workflow.notify === true) notifyStatus(result.workflow);
      return result;
    },
    async getWorkflow(workflowId) {
      enter("getWorkflow");
      return workflows.get(workflowId)?.record;
    },
    async listSteps(workflowId) {
      enter("listSteps");
      const list = [...(steps.get(workflowId)?.values() ?? [])];
      return list.sort((a, b) => a.position - b.position);
    },
    async recordStep(step, fence) {
      enter("recordStep");
      checkFence(step.workflowId, fence);
      return insertStep(step);
    },
    async finishWorkflow(outcome: WorkflowOutcome) {
      enter("finishWorkflow");
      const stored = workflows.get(outcome.workflowId);
      if (!stored || stored.record.status !== "PENDING") return false;
      const owner = stored.record;
      if (
        outcome.epoch !== undefined &&
        (owner.ownerEpoch !== outcome.epoch || owner.executorId !== outcome.executorId)
      ) {
        return false;
      }
      update(stored, {
        status: outcome.status,
        output: outcome.output,
        error: outcome.error,
        executorId: outcome.executorId,
      });
      return true;
    },
    async claimRecoverable(claim: RecoveryClaim): Promise<RecoveryResult> {
      enter("claimRecoverable");
      const result: RecoveryResult = { recovered: [], deadLettered: [], unknown: [] };
      for (const stored of workflows.values()) {
        const { record } = stored;
        if (record.status !== "PENDING" || record.executorId !== claim.executorId) continue;
        if (!versionAllowed(record, claim.appVersion)) continue;
        if (!claim.names.includes(record.name)) {
          (result.unknown as { workflowId: string; name: string }[]).push({
            workflowId: record.workflowId,
            name: record.name,
          });
          continue;
        }
        claimOne(stored, claim, result);
      }
      return result;
    },

    async sendMessage(message: NewMessage): Promise<SendResult> {
      enter("sendMessage");
      if (!workflows.has(message.destinationId)) return "workflow-not-found";
      if (messages.has(message.messageId)) return "duplicate";
      const { destinationId, topic } = message;
      const seq = (messageSeq += 1);
      messages.set(message.messageId, {
        destinationId,
        topic,
        message: message.message,
        seq,
        consumed: false,
      });
      notify({ kind: "message", workflowId: destinationId, topic });
      return "sent";
    },
    async consumeMessage(topic, step, fence) {
      enter("consumeMessage");
      checkFence(step.workflowId, fence);
      const existing = steps.get(step.workflowId)?.get(step.position);
      if (existing) return existing;
      let oldest: StoredMessage | undefined;
      for (const m of messages.values()) {
        if (m.consumed || m.destinationId !== step.workflowId || m.topic !== topic) continue;
        if (!oldest || m.seq < oldest.seq) oldest = m;
      }
      if (!oldest) return undefined;
      oldest.consumed = true;
      const recorded: StepRecord = { ...step, output: oldest.message, error: undefined };
      insertStep(recorded);
      return recorded;
    },
    async setEvent(workflowId, key, value, step, fence) {
      enter("setEvent");
      checkFence(workflowId, fence);
      if (step) insertStep(step);
      events.set(JSON.stringify([workflowId, key]), value);
      notify({ kind: "event", workflowId, key });
    },
    async getEvent(workflowId, key) {
      enter("getEvent");
      return events.get(JSON.stringify([workflowId, key]));
    },
    async writeStream(entry, step, fence) {
      enter("writeStream");
      checkFence(entry.workflowId, fence);
      const streamKey = JSON.stringify([entry.workflowId, entry.key]);
      let stream = streams.get(streamKey);
      if (!stream) streams.set(streamKey, (stream = new Map<number, StoredStreamEntry>()));
      insertStep(step);
      if (stream.has(step.position)) return;
      stream.set(step.position, { value: entry.value, closed: entry.closed });
      notify({ kind: "stream", workflowId: entry.workflowId, key: entry.key });
    },
    async readStream(workflowId, key, offset, limit): Promise<StreamEntry[]> {
      enter("readStream");
      const stream = streams.get(JSON.stringify([workflowId, key]));
      const ordered = [...(stream?.entries() ?? [])].sort(([a], [b]) => a - b);
      return ordered
        .map(([, e], index) => ({ offset: index, value: e.value, closed: e.closed }))
        .slice(offset, offset + limit);
    },

    async cancelWorkflow(workflowId, { children }) {
      enter("cancelWorkflow");
      const targets = [workflowId, ...(children ? descendantsOf(workflowId) : [])];
      const cancelled: string[] = [];
      for (const id of targets) {
        const stored = workflows.get(id);
        const status = stored?.record.status;
        if (!stored || (status !== "PENDING" && status !== "ENQUEUED")) continue;
        notifyStatus(update(stored, { status: "CANCELLED" }));
        cancelled.push(id);
      }
      return cancelled;
    },
    async resumeWorkflow(workflowId, executorId) {
      enter("resumeWorkflow");
      const stored = workflows.get(workflowId);
      if (!stored || !resumable.includes(stored.record.status)) return stored?.record;
      stored.recoveryProgress = dropTrailingErrors(workflowId);
      const record = update(stored, {
        status: "PENDING",
        executorId,
        ownerEpoch: stored.record.ownerEpoch + 1,
        output: undefined,
        error: undefined,
        recoveryAttempts: 0,
        deadlineAt: undefined,
      });
      notifyStatus(record);
      return record;
    },
    async forkWorkflow({ sourceId, newId, fromPosition, executorId }) {
      enter("forkWorkflow");
      const source = workflows.get(sourceId)?.record;
      if (!source) return undefined;
      const { name, input } = source;
      const result = insertWorkflow({ workflowId: newId, name, input, executorId }, sourceId);
      if (!result.created) return result;
      for (const step of steps.get(sourceId)?.values() ?? []) {
        if (step.position < fromPosition) insertStep({ ...step, workflowId: newId });
      }
      notifyStatus(result.workflow);
      return result;
    },

    async listWorkflows(filter: WorkflowFilter) {
      enter("listWorkflows");
      const matches = [...workflows.values()]
        .map((stored) => stored.record)
        .filter((record) => matchesFilter(record, filter))
        .sort(compareCreated);
      if (filter.order === "desc") matches.reverse();
      const offset = filter.offset ?? 0;
      return matches.slice(offset, offset + (filter.limit ?? 100));
    },
    async heartbeat({ executorId, appVersion, leaseMs }) {
      enter("heartbeat");
      executors.set(executorId, {
        executorId,
        appVersion,
        leaseMs,
        heartbeatAt: now(),
        status: "alive",
      });
    },
    async stopExecutor(executorId) {
      enter("stopExecutor");
      const executor = executors.get(executorId);
      if (executor) executor.status = "stopped";
    },
    async listExecutors(): Promise<ExecutorRecord[]> {
      enter("listExecutors");
      return [...executors.values()].map((e) => ({ ...e, expired: expired(e) }));
    },
    async takeOver(claim: TakeoverClaim): Promise<RecoveryResult> {
      enter("takeOver");
      const gone = (executorId: string) => {
        const executor = executors.get(executorId);
        return claim.ignoreLeases === true || !executor || expired(executor);
      };
      const result: RecoveryResult = { recovered: [], deadLettered: [], unknown: [] };
      for (const stored of workflows.values()) {
        const { record } = stored;
        if (result.recovered.length + result.deadLettered.length >= claim.limit) break;
        if (record.status !== "PENDING" || record.executorId === claim.executorId) continue;
        if (!gone(record.executorId)) continue;
        if (!claim.names.includes(record.name)) {
          const { workflowId, name } = record;
          (result.unknown as { workflowId: string; name: string }[]).push({ workflowId, name });
          continue;
        }
        if (!versionAllowed(record, claim.appVersion)) continue;
        claimOne(stored, claim, result);
      }
      return result;
    },
    async setAppVersion(workflowIds, appVersion) {
      enter("setAppVersion");
      const moved: string[] = [];
      for (const id of workflowIds) {
        const stored = workflows.get(id);
        if (stored?.record.status !== "PENDING") continue;
        update(stored, { appVersion });
        moved.push(id);
      }
      return moved;
    },
    async deleteFinished(finishedBefore, limit) {
      enter("deleteFinished");
      const doomed = [...workflows.values()]
        .map((w) => w.record)
        .filter((r) => finished.includes(r.status) && r.updatedAt < finishedBefore)
        .slice(0, limit);
      for (const { workflowId } of doomed) {
        workflows.delete(workflowId);
        steps.delete(workflowId);
        for (const [id, m] of messages) if (m.destinationId === workflowId) messages.delete(id);
        for (const key of [...events.keys(), ...streams.keys()]) {
          if ((JSON.parse(key) as string[])[0] === workflowId) {
            events.delete(key);
            streams.delete(key);
          }
        }
      }
      return doomed.length;
    },
    async subscribe(listener) {
      enter("subscribe");
      listeners.add(listener);
      return async () => {
        listeners.delete(listener);
      };
    },
    async close() {
      calls.close += 1;
      closed = true;
      listeners.clear();
    },
  };
}

function compareCreated(a: WorkflowRecord, b: WorkflowRecord): number {
  if (a.createdAt !== b.createdAt) return a.createdAt - b.createdAt;
  return a.workflowId < b.workflowId ? -1 : a.workflowId > b.workflowId ? 1 : 0;
}

function matchesFilter(record: WorkflowRecord, filter: WorkflowFilter): boolean {
  const statuses = typeof filter.status === "string" ? [filter.status] : filter.status;
  return (
    (statuses === undefined || statuses.includes(record.status)) &&
    (filter.name === undefined || record.name === filter.name) &&
    (filter.executorId === undefined || record.executorId === filter.executorId) &&
    (filter.parentWorkflowId === undefined ||
      record.parentWorkflowId === filter.parentWorkflowId) &&
    (filter.workflowIds === undefined || filter.workflowIds.includes(record.workflowId)) &&
    (filter.createdAfter === undefined || record.createdAt >= filter.createdAfter) &&
    (filter.createdBefore === undefined || record.createdAt < filter.createdBefore) &&
    (filter.appVersion === undefined || record.appVersion === filter.appVersion) &&
    (filter.queueName === undefined || record.queueName === filter.queueName)
  );
}
