/**
 * What a caller holds on a started workflow: its ID, its status, and a promise of its result.
 */
import type { WorkflowStatus } from "./store/workflow-store.js";

/** A snapshot of a workflow's state. */
export interface WorkflowStatusInfo {
  readonly workflowId: string;
  readonly name: string;
  readonly status: WorkflowStatus;
  /** The executor that owns the workflow. */
  readonly executorId: string;
  readonly parentWorkflowId: string | undefined;
  /** Recoveries since the workflow last made progress (see `maxRecoveryAttempts`). */
  readonly recoveryAttempts: number;
  readonly createdAt: Date;
  readonly updatedAt: Date;
}

/** A started (or retrieved) workflow. */
export interface WorkflowHandle<Out> {
  readonly workflowId: string;
  /**
   * Waits for the workflow to finish and returns its output, or throws its error.
   * @throws WorkflowNotFoundError when no workflow has this ID.
   * @throws WorkflowDeadLetteredError when it was moved to `DEAD_LETTER`.
   * @throws WorkflowInterruptedError when this engine stopped running it (it resumes later).
   */
  result(): Promise<Out>;
  /**
   * The workflow's current state.
   * @throws WorkflowNotFoundError when no workflow has this ID.
   */
  status(): Promise<WorkflowStatusInfo>;
}
