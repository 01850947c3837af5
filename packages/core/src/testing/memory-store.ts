/**
 * An in-memory `WorkflowStore`: the reference implementation of the store contract, for unit
 * tests and for trying Cairn without a database. It keeps nothing across processes, so it proves
 * semantics, not durability.
 */
import type {
  CreateWorkflowResult,
  NewWorkflow,
  RecoveryClaim,
  RecoveryResult,
  StepRecord,
  WorkflowOutcome,
  WorkflowRecord,
  WorkflowStore,
} from "../store/workflow-store.js";

interface StoredWorkflow {
  record: WorkflowRecord;
  /** Number of checkpoints at the last recovery claim; more now means progress was made. */
  recoveryProgress: number;
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

/** Creates an empty in-memory store. */
export function createMemoryStore(options: MemoryStoreOptions = {}): MemoryStore {
  const now = options.now ?? Date.now;
  const workflows = new Map<string, StoredWorkflow>();
  const steps = new Map<string, Map<number, StepRecord>>();
  const calls: Record<keyof WorkflowStore, number> = {
    migrate: 0,
    createWorkflow: 0,
    getWorkflow: 0,
    listSteps: 0,
    recordStep: 0,
    finishWorkflow: 0,
    claimRecoverable: 0,
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
  const update = (stored: StoredWorkflow, patch: Partial<WorkflowRecord>): WorkflowRecord => {
    stored.record = { ...stored.record, ...patch, updatedAt: now() };
    return stored.record;
  };

  return {
    calls,
    async migrate() {
      enter("migrate");
    },
    async createWorkflow(workflow: NewWorkflow): Promise<CreateWorkflowResult> {
      enter("createWorkflow");
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
        createdAt: at,
        updatedAt: at,
      };
      workflows.set(workflow.workflowId, { record, recoveryProgress: 0 });
      return { created: true, workflow: record };
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
      const map = stepsOf(step.workflowId);
      if (map.has(step.position)) return false;
      map.set(step.position, { ...step });
      return true;
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
    async close() {
      calls.close += 1;
      closed = true;
    },
  };
}
