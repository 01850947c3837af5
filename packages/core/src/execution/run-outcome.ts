/**
 * How a run ended, as far as this process knows: recorded, superseded by another outcome,
 * stopped early, lost to another executor, or cancelled. The run set keeps it for local
 * `result()` callers; observers see it as a `RunEnd`.
 */
import type {
  WorkflowCancelledError,
  WorkflowInterruptedError,
  WorkflowOwnershipLostError,
} from "../errors.js";
import type { SerializedValue, WorkflowRecord } from "../store/records.js";

/** How a run ended, as far as this process knows. */
export type RunOutcome =
  | { readonly kind: "finished"; readonly status: "SUCCESS"; readonly output: SerializedValue }
  | { readonly kind: "finished"; readonly status: "ERROR"; readonly error: SerializedValue }
  /** The store refused the outcome: the workflow was finished elsewhere (e.g. cancelled). */
  | { readonly kind: "superseded"; readonly record: WorkflowRecord | undefined }
  /** Stopped here before finishing (shutdown, store failure); it stays PENDING. */
  | { readonly kind: "interrupted"; readonly error: WorkflowInterruptedError }
  /** Another executor took it over; its result will come from there. */
  | { readonly kind: "lost"; readonly error: WorkflowOwnershipLostError }
  /**
   * Left memory while it waits (decision 0014): still PENDING, suspended until `wakeAt` (none:
   * until what it waits for arrives).
   */
  | { readonly kind: "suspended"; readonly wakeAt: number | undefined }
  /** Cancelled while running here; the store already says CANCELLED. */
  | { readonly kind: "cancelled"; readonly error: WorkflowCancelledError };
