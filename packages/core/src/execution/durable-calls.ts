/**
 * The durable calls a workflow makes through its context that are not the context's own methods:
 * a step (`await charge(ctx, …)`), a child workflow (`await child(ctx, …)`, `ctx.start`), and
 * an operation that writes its own checkpoint (`runDurableOperation`, `transaction()`). Each is
 * one position in the journal: replayed when recorded, else performed and recorded.
 */
import { assertAttributes } from "../attributes.js";
import type { ChildOptions } from "../context.js";
import type { DurableOperationPerform, OperationRunner } from "../durable-operation.js";
import { toMs } from "../duration.js";
import { CairnError, type AnyCairnErrorCode } from "../errors.js";
import type { WorkflowHandle } from "../handle.js";
import type { StepDefinition, StepRunner } from "../step.js";
import type { SerializedValue, StepRecord } from "../store/records.js";
import type { ChildRunner, WorkflowDefinition } from "../workflow.js";
import { assertWorkflowId } from "../workflow-id.js";
import type { Journal } from "./journal.js";
import {
  observedAttempt,
  runAttempts,
  runOnlyAttempt,
  type AttemptsResult,
} from "./run-attempts.js";
import { recordFailedAttempt, resumedAttempts } from "./step-attempts.js";
import { childHandle } from "./communication.js";
import { childResult } from "./suspending-waits.js";

/** Errors from starting (or enqueueing) a child that are facts about the call, so replay must see them again. */
export const recordableChildErrors: readonly AnyCairnErrorCode[] = [
  "VALIDATION_FAILED",
  "SERIALIZATION_FAILED",
  "WORKFLOW_CONFLICT",
  "WORKFLOW_NOT_REGISTERED",
];

/** The calls `step()`, `workflow()` and `runDurableOperation` find behind a context. */
export type DurableOperations = StepRunner & ChildRunner & OperationRunner;

/** The durable calls of the run `journal` records. */
export function durableCalls(journal: Journal): DurableOperations {
  return {
    runStep: (definition, args) => runStep(journal, definition, args),
    runOperation: (name, perform) => runOperation(journal, name, perform),
    // Counted as in flight from the call, so no other wait suspends the run between the two.
    runChild: (definition, input, options) =>
      childResult(
        journal,
        async () => (await startChild(journal, definition, input, options)).workflowId,
      ),
  };
}

/** A step: its attempts (with retries) run once, and their outcome is the checkpoint. */
export function runStep(
  journal: Journal,
  definition: StepDefinition,
  args: readonly unknown[],
): Promise<unknown> {
  return journal.operation(definition.name, (position, startedAt) =>
    performStep(journal, definition, args, position, startedAt),
  );
}

/**
 * Runs a step's attempts and makes their outcome its checkpoint. A step with one attempt, no
 * timeout and no observers (most steps) takes the short path: no async frame of its own.
 */
function performStep(
  journal: Journal,
  definition: StepDefinition,
  args: readonly unknown[],
  position: number,
  startedAt: number,
): Promise<StepRecord> {
  const { host } = journal;
  if (
    definition.retry.maxAttempts > 1 ||
    definition.timeoutMs !== undefined ||
    !host.observers.none
  )
    return performAttempts(journal, definition, args, position, startedAt);
  const scope = {
    workflowId: journal.workflowId,
    log: journal.log,
    stop: journal.attemptStop,
    clock: host.clock,
  };
  return runOnlyAttempt(definition, args, scope).then((result) =>
    stepCheckpoint(journal, definition.name, position, startedAt, result),
  );
}

/** The retry loop and the observers' wrapper around a step's attempts, then its checkpoint. */
async function performAttempts(
  journal: Journal,
  definition: StepDefinition,
  args: readonly unknown[],
  position: number,
  startedAt: number,
): Promise<StepRecord> {
  const { host } = journal;
  const { name, retry } = definition;
  const result = await runAttempts(definition, args, {
    workflowId: journal.workflowId,
    log: journal.log,
    stop: journal.attemptStop,
    observers: host.observers,
    clock: host.clock,
    attemptOf: (attempt) => ({ run: journal.run, kind: "step", name, position, attempt }),
    // A step without retries never recorded an attempt: nothing to read.
    resume: retry.maxAttempts > 1 ? await resumedAttempts(journal, position, name) : undefined,
    recordRetry: (attempt, nextAttemptAt) =>
      recordFailedAttempt(journal, position, name, attempt, nextAttemptAt),
  });
  return stepCheckpoint(journal, name, position, startedAt, result);
}

/** The checkpoint of a step's attempts: its serialized output, or its error. */
function stepCheckpoint(
  journal: Journal,
  name: string,
  position: number,
  startedAt: number,
  result: AttemptsResult,
): StepRecord {
  const { serializer } = journal.host;
  const { attempts } = result;
  if (!result.ok) {
    const error = serializer.serializeError(result.error, `error of step "${name}"`);
    return journal.checkpoint(position, name, startedAt, { error, attempts });
  }
  let output: SerializedValue;
  try {
    output = serializer.serialize(result.value, `output of step "${name}"`);
  } catch (failure) {
    const error = serializer.serializeError(failure, `output of step "${name}"`);
    return journal.checkpoint(position, name, startedAt, { error, attempts });
  }
  return journal.checkpoint(position, name, startedAt, { output, attempts });
}

/** An operation whose `perform` may record the checkpoint itself (see `runDurableOperation`). */
export function runOperation(
  journal: Journal,
  name: string,
  perform: DurableOperationPerform,
): Promise<unknown> {
  const { host } = journal;
  return journal.operation(name, async (position, startedAt) => {
    const scope = {
      workflowId: journal.workflowId,
      name,
      position,
      startedAt,
      fence: journal.fence,
      get signal(): AbortSignal {
        return journal.attemptSignal; // built only if the operation reads it
      },
      log: journal.log,
      store: host.store,
      serializer: host.serializer,
      observeAttempt: async <T>(attempt: number, run: () => Promise<T>): Promise<T> => {
        const info = { run: journal.run, kind: "transaction", name, position, attempt } as const;
        const result = await observedAttempt(info, host.observers, run);
        if (!result.ok) throw result.error;
        return result.value as T;
      },
    };
    const outcome = await journal.guard(() => perform(scope), name);
    return "recorded" in outcome ? outcome : outcome.checkpoint;
  });
}

/**
 * Starts a child (or finds it, on replay) and returns its handle. Its ID comes from the parent's
 * ID and the position unless given; it inherits the parent's deadline unless it has a timeout or
 * `inheritDeadline: false`.
 */
export async function startChild(
  journal: Journal,
  definition: WorkflowDefinition,
  input: unknown,
  options?: ChildOptions,
): Promise<WorkflowHandle<unknown>> {
  const { host } = journal;
  const name = `workflow:${definition.name}`;
  if (options?.id !== undefined) assertWorkflowId(options.id); // before a position is taken
  const attributes =
    options?.attributes === undefined ? undefined : assertAttributes(options.attributes);
  const childId = await journal.operation<string>(name, async (position, startedAt) => {
    const workflowId = options?.id ?? `${journal.workflowId}:${position}`;
    const deadlineAt =
      options?.timeoutMs !== undefined
        ? host.clock.now() + toMs(options.timeoutMs, "timeoutMs")
        : options?.inheritDeadline === false
          ? undefined
          : journal.deadlineAt;
    return childCheckpoint(journal, { position, name, startedAt }, async () => {
      await host.startChild({
        definition,
        input,
        workflowId,
        parentWorkflowId: journal.workflowId,
        deadlineAt,
        traceContext: host.observers.carrier(journal.run),
        attributes,
      });
      return workflowId;
    });
  });
  return childHandle(journal, host.handle(childId, definition));
}

/**
 * The checkpoint of a call that creates a child (`ctx.start`, `ctx.enqueue`): the child's ID, or
 * the error when it is a fact about the call (`recordableChildErrors`: replay must meet it
 * again). Any other failure is the store's, and stops the run.
 */
export async function childCheckpoint(
  journal: Journal,
  at: { readonly position: number; readonly name: string; readonly startedAt: number },
  create: () => Promise<string>,
): Promise<StepRecord> {
  const { position, name, startedAt } = at;
  const { serializer } = journal.host;
  let childId: string;
  try {
    childId = await create();
  } catch (error) {
    if (!CairnError.is(error) || !recordableChildErrors.includes(error.code))
      throw journal.storeFailed(name, error);
    const recorded = serializer.serializeError(error, name);
    return journal.checkpoint(position, name, startedAt, { error: recorded });
  }
  const output = serializer.serialize(childId, name);
  return journal.checkpoint(position, name, startedAt, { output, childWorkflowId: childId });
}
