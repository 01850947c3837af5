/**
 * One `transaction()` call at one position, from BEGIN to its outcome: open (fence check, earlier
 * result), the user's body, the output serialized and kept in the same commit. Serialization
 * failures and deadlocks are retried with backoff; a lost connection goes back to the engine as
 * an outage (it calls again, and the opening finds a result that did commit); any other failure
 * of the body, of its output or of the commit is rolled back and becomes the step's recorded
 * error. It never decides positions or replay: the engine does (`runDurableOperation`).
 */
import {
  StoreUnavailableError,
  WorkflowOwnershipLostError,
  type DurableOperationOutcome,
  type DurableOperationScope,
  type StepRecord,
} from "@cairn/core";
import { DatabaseUnavailableError } from "../errors.js";
import { isConnectionError } from "../executors/postgres-executor.js";
import type { TransactionMode } from "../executors/sql-executor.js";
import type { TransactionTarget } from "./targets.js";

/** How to run the body, and how often to retry. */
export interface TransactionPlan {
  readonly mode: TransactionMode;
  readonly maxRetries: number;
  /** Runs the user's body with the driver's transaction object, for attempt `attempt`. */
  readonly body: (native: unknown, attempt: number) => unknown;
}

/** SQLSTATEs retried from the start: serialization failure, deadlock. */
const RETRYABLE = new Set(["40001", "40P01"]);
/** The server ended the session of a transaction left idle too long: it was rolled back. */
const IDLE_TIMEOUT = "25P03";
const BASE_DELAY_MS = 10;
const MAX_DELAY_MS = 1_000;

/** Thrown inside the transaction to roll it back when the position already has a result. */
class PositionTaken extends Error {
  readonly step: StepRecord | undefined;
  constructor(step: StepRecord | undefined) {
    super("position already has a result");
    this.step = step;
  }
}

const codeOf = (error: unknown): unknown =>
  typeof error === "object" && error !== null ? (error as { code?: unknown }).code : undefined;

/** Runs `plan` on `target` for `scope`'s position: the outcome the engine replays. */
export async function performTransaction(
  target: TransactionTarget,
  plan: TransactionPlan,
  scope: DurableOperationScope,
): Promise<DurableOperationOutcome> {
  await target.before(scope);
  for (let attempt = 1; ; attempt++) {
    scope.signal.throwIfAborted();
    let bodyStarted = false;
    try {
      const record = await scope.observeAttempt(attempt, () =>
        target.db.transaction(async (tx, native) => {
          const opening = await target.open(tx, scope);
          if (opening.kind === "recorded") throw new PositionTaken(opening.step);
          bodyStarted = true;
          const value = await plan.body(native, attempt);
          scope.signal.throwIfAborted(); // the run was abandoned: commit nothing
          const record = checkpoint(scope, attempt, {
            output: scope.serializer.serialize(value, `output of transaction "${scope.name}"`),
          });
          if (!(await target.keep(tx, record))) throw new PositionTaken(undefined);
          return record;
        }, plan.mode),
      );
      return outcome(target, record);
    } catch (error) {
      if (error instanceof PositionTaken) return outcome(target, await taken(target, scope, error));
      if (scope.signal.aborted) throw scope.signal.reason;
      if (WorkflowOwnershipLostError.is(error)) throw error;
      if (isOutage(error)) throw outage(error);
      if (RETRYABLE.has(codeOf(error) as string) && attempt <= plan.maxRetries) {
        scope.log.debug(`transaction "${scope.name}" attempt ${attempt} conflicted; retrying`, {
          error,
        });
        await backoff(attempt, scope.signal);
        continue;
      }
      if (!bodyStarted) throw error; // our own opening statement failed: not the user's doing
      const subject = `error of transaction "${scope.name}"`;
      return {
        checkpoint: checkpoint(scope, attempt, {
          error: scope.serializer.serializeError(error, subject),
        }),
      };
    }
  }
}

function outcome(target: TransactionTarget, record: StepRecord): DurableOperationOutcome {
  return target.recordsCheckpoint ? { recorded: record } : { checkpoint: record };
}

/** The result someone else kept at this position (read after our rollback). */
async function taken(
  target: TransactionTarget,
  scope: DurableOperationScope,
  error: PositionTaken,
): Promise<StepRecord> {
  const step = error.step ?? (await target.find(scope));
  if (!step) throw new Error(`transaction "${scope.name}": position taken but no result found`);
  return step;
}

function checkpoint(
  scope: DurableOperationScope,
  attempts: number,
  outcome: { output?: string; error?: string },
): StepRecord {
  return {
    workflowId: scope.workflowId,
    position: scope.position,
    name: scope.name,
    output: outcome.output,
    error: outcome.error,
    childWorkflowId: undefined,
    attempts,
    startedAt: scope.startedAt,
    completedAt: Date.now(),
  };
}

/** The database went away (or ended the session): the transaction did not commit, or we can't tell. */
function isOutage(error: unknown): boolean {
  return (
    StoreUnavailableError.is(error) || isConnectionError(error) || codeOf(error) === IDLE_TIMEOUT
  );
}

const outage = (error: unknown): unknown =>
  StoreUnavailableError.is(error) ? error : new DatabaseUnavailableError(error);

/** Waits before retry `attempt`: exponential with full jitter, capped. */
function backoff(attempt: number, signal: AbortSignal): Promise<void> {
  const capMs = Math.min(MAX_DELAY_MS, BASE_DELAY_MS * 2 ** (attempt - 1));
  const ms = Math.random() * capMs;
  return new Promise((resolve, reject) => {
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal.reason as Error);
    };
    const timer = setTimeout(() => {
      signal.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal.addEventListener("abort", onAbort, { once: true });
  });
}
