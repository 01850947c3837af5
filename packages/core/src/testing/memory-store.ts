/**
 * An in-memory `WorkflowStore`: the reference implementation of the store contract, for unit
 * tests and for trying Cairn without a database. It keeps nothing across processes, so it proves
 * semantics, not durability. Notifications go to `subscribe` listeners in a microtask queued
 * after the change is applied, so listeners never run inside the writing call (as with
 * Postgres, where they arrive after commit).
 */
import type {
  CreateWorkflowResult,
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

interface StoredStreamEntry {
  readonly value: SerializedValue | undefined;
  readonly closed: boolean;
}

/** Options of {@link createMemoryStore}. */
export interface MemoryStoreOptions {
  /** Source of timestamps; defaults to `Date.now`. */
  readonly now?: () => number;
}

/** A `WorkflowStore` held in this process's memory. */
export interface MemoryStore extends WorkflowStore {
  /** How many calls each method received: lets tests assert the engine's write pattern. */
  readonly calls: Readonly<Record<keyof WorkflowStore, number>>;
}

const resumable: readonly WorkflowStatus[] = ["CANCELLED", "ERROR", "DEAD_LETTER"];

/** Creates an empty in-memory store. */
export function createMemoryStore(options: MemoryStoreOptions = {}): MemoryStore {
  const now = options.now ?? Date.now;
  const workflows = new Map<string, StoredWorkflow>();
  const steps = new Map<string, Map<number, StepRecord>>();
  const messages = new Map<string, StoredMessage>();
  const events = new Map<string, SerializedValue>();
  const streams = new Map<string, Map<number, StoredStreamEntry>>();
  const listeners = new Set<(notification: StoreNotification) => void>();
  let messageSeq = 0;
  const calls: Record<keyof WorkflowStore, number> = {
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
    subscribe: 0,
    close: 0,
  };
  let closed = false;

  const enter = (method: keyof WorkflowStore): void => {
    if (closed) throw new Error(`memory store: ${method} called after close()`);
    calls[method] += 1;
  };
  const stepsOf = (workflowId: string): Map<number, StepRecord> => {
    let map = steps.get(workflowId);
    if (!map) steps.set(workflowId, (map = new Map<number, StepRecord>()));
    return map;
  };
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
      status: "PENDING",
      input: workflow.input,
      output: undefined,
      error: undefined,
      executorId: workflow.executorId,
      parentWorkflowId: workflow.parentWorkflowId,
      recoveryAttempts: 0,
      deadlineAt: workflow.deadlineAt,
      forkedFrom,
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
    async recordStep(step) {
      enter("recordStep");
      return insertStep(step);
    },
    async finishWorkflow(outcome: WorkflowOutcome) {
      enter("finishWorkflow");
      const stored = workflows.get(outcome.workflowId);
      if (!stored || stored.record.status !== "PENDING") return false;
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
      const recovered: WorkflowRecord[] = [];
      const deadLettered: WorkflowRecord[] = [];
      const unknown: { workflowId: string; name: string }[] = [];
      for (const stored of workflows.values()) {
        const { record } = stored;
        if (record.status !== "PENDING" || record.executorId !== claim.executorId) continue;
        if (!claim.names.includes(record.name)) {
          unknown.push({ workflowId: record.workflowId, name: record.name });
          continue;
        }
        const progress = steps.get(record.workflowId)?.size ?? 0;
        const attempts = progress > stored.recoveryProgress ? 1 : record.recoveryAttempts + 1;
        stored.recoveryProgress = progress;
        const limit = claim.maxRecoveryAttempts[record.name] ?? Number.POSITIVE_INFINITY;
        if (attempts > limit) {
          deadLettered.push(update(stored, { status: "DEAD_LETTER", recoveryAttempts: attempts }));
        } else {
          recovered.push(update(stored, { recoveryAttempts: attempts }));
        }
      }
      return { recovered, deadLettered, unknown };
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
    async consumeMessage(topic, step) {
      enter("consumeMessage");
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
    async setEvent(workflowId, key, value, step) {
      enter("setEvent");
      if (step) insertStep(step);
      events.set(JSON.stringify([workflowId, key]), value);
      notify({ kind: "event", workflowId, key });
    },
    async getEvent(workflowId, key) {
      enter("getEvent");
      return events.get(JSON.stringify([workflowId, key]));
    },
    async writeStream(entry, step) {
      enter("writeStream");
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
        if (stored?.record.status !== "PENDING") continue;
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
    (filter.createdBefore === undefined || record.createdAt < filter.createdBefore)
  );
}
