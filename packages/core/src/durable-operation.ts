/**
 * An extension point for store authors: a durable operation whose checkpoint the caller may write
 * itself, in the same commit as its own work. `@cairn/pg-store`'s `transaction()` is built on it:
 * it commits the user's database writes and the checkpoint together. The engine still owns
 * positions, replay and the determinism check; `perform` runs only when nothing is recorded at
 * the position yet. Application code wants `step()` instead.
 */
import type { Serializer } from "./serialization.js";
import type { AnyWorkflowContext } from "./context.js";
import { NotInWorkflowError } from "./errors.js";
import { operationsOf } from "./execution/operations.js";
import type { Logger } from "./logger.js";
import type { Fence, StepRecord } from "./store/records.js";
import type { WorkflowStore } from "./store/workflow-store.js";

/** What `perform` of a {@link runDurableOperation} gets to do its work and checkpoint it. */
export interface DurableOperationScope {
  readonly workflowId: string;
  /** The operation's name, as recorded and checked on replay. */
  readonly name: string;
  /** The position the checkpoint must be recorded at. */
  readonly position: number;
  /** Epoch ms when the engine began this operation; the checkpoint's `startedAt`. */
  readonly startedAt: number;
  /** The run's claim on the workflow: a write under a stale fence must change nothing. */
  readonly fence: Fence;
  /** Aborts when the engine abandons the run (taken over, cancelled, shut down): write nothing. */
  readonly signal: AbortSignal;
  readonly log: Logger;
  /** The engine's store, exactly as given to `createEngine`. */
  readonly store: WorkflowStore;
  /** The engine's serializer: encode the checkpoint's output or error with it. */
  readonly serializer: Serializer;
  /**
   * Runs attempt number `attempt` of the operation under the engine's observers (a span per
   * transaction attempt with `@cairn/otel`, its duration) and resolves or rejects as `run` does.
   */
  observeAttempt<T>(attempt: number, run: () => Promise<T>): Promise<T>;
}

/**
 * What `perform` hands back: `{ recorded }` when it wrote the checkpoint itself (durable, at
 * `scope.position`), or `{ checkpoint }` for the engine to record (fenced, first write wins).
 */
export type DurableOperationOutcome =
  { readonly recorded: StepRecord } | { readonly checkpoint: StepRecord };

/** The work of a {@link runDurableOperation}. */
export type DurableOperationPerform = (
  scope: DurableOperationScope,
) => Promise<DurableOperationOutcome>;

/** How `runDurableOperation` reaches the run behind its context (see `durable-calls.ts`). */
export interface OperationRunner {
  runOperation(name: string, perform: DurableOperationPerform): Promise<unknown>;
}

/**
 * Runs `perform` as the next durable operation of the workflow behind `ctx`, or replays its
 * checkpoint: the recorded output is returned, a recorded error is thrown. `perform` may be
 * called again for the same position (after a `StoreUnavailableError`, which the engine retries
 * with backoff, or after a crash), so it must find its own earlier checkpoint before redoing
 * work. A `WorkflowOwnershipLostError` from it stops the run; any other error stops the run too,
 * leaving the workflow PENDING, so put the user's failures in the checkpoint's `error` instead.
 *
 * @example
 * const value = await runDurableOperation<number>(ctx, "reserve", async (scope) => {
 *   const record = await writeWorkAndCheckpointTogether(scope);
 *   return { recorded: record };
 * });
 */
export function runDurableOperation<T>(
  ctx: AnyWorkflowContext,
  name: string,
  perform: DurableOperationPerform,
): Promise<T> {
  const operations = operationsOf<OperationRunner>(ctx);
  if (!operations) return Promise.reject(new NotInWorkflowError(`operation "${name}"`));
  return operations.runOperation(name, perform) as Promise<T>;
}
