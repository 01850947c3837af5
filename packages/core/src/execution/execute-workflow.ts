/**
 * Drives one run from its body to its recorded outcome: call the body with the context, validate
 * and serialize what it returns (or the error it throws), and write the outcome in one statement.
 * A run that was interrupted (shutdown, lost store) records nothing and stays PENDING.
 */
import { WorkflowCancelledError, ValidationError, WorkflowInterruptedError } from "../errors.js";
import { serialize, serializeError } from "../serialization.js";
import type { SerializedValue, WorkflowRecord } from "../store/workflow-store.js";
import type { WorkflowDefinition } from "../workflow.js";
import type { Execution, ExecutionHost } from "./execution.js";

/** How a run ended, as far as this process knows. */
export type RunOutcome =
  | { readonly kind: "finished"; readonly status: "SUCCESS"; readonly output: SerializedValue }
  | { readonly kind: "finished"; readonly status: "ERROR"; readonly error: SerializedValue }
  /** The store refused the outcome: the workflow was finished elsewhere (e.g. cancelled). */
  | { readonly kind: "superseded"; readonly record: WorkflowRecord | undefined }
  | { readonly kind: "interrupted"; readonly error: WorkflowInterruptedError }
  /** Cancelled while running here; the store already says CANCELLED. */
  | { readonly kind: "cancelled"; readonly error: WorkflowCancelledError };

/** Runs `definition`'s body on `execution` and records the outcome. Never rejects. */
export async function executeWorkflow(
  host: ExecutionHost & { readonly executorId: string },
  definition: WorkflowDefinition,
  execution: Execution,
  input: unknown,
): Promise<RunOutcome> {
  const outcome = await runBody(definition, execution, input);
  const interruption = execution.interruption;
  if (WorkflowCancelledError.is(interruption)) return { kind: "cancelled", error: interruption };
  if (interruption) return { kind: "interrupted", error: interruption };
  try {
    const finished = await host.store.finishWorkflow({
      workflowId: execution.workflowId,
      executorId: host.executorId,
      ...outcome,
    });
    if (finished) return { kind: "finished", ...outcome };
    return { kind: "superseded", record: await host.store.getWorkflow(execution.workflowId) };
  } catch (error) {
    execution.stop("could not record the workflow's outcome", error);
    const stopped = execution.interruption;
    if (WorkflowCancelledError.is(stopped)) return { kind: "cancelled", error: stopped };
    return { kind: "interrupted", error: stopped ?? interrupted(execution, error) };
  }
}

function interrupted(execution: Execution, cause: unknown): WorkflowInterruptedError {
  return new WorkflowInterruptedError(execution.workflowId, "could not record the outcome", {
    cause,
  });
}

type BodyOutcome =
  | { readonly status: "SUCCESS"; readonly output: SerializedValue }
  | { readonly status: "ERROR"; readonly error: SerializedValue };

async function runBody(
  definition: WorkflowDefinition,
  execution: Execution,
  input: unknown,
): Promise<BodyOutcome> {
  const subject = `workflow "${definition.name}"`;
  try {
    let output = await definition.body(execution, input);
    if (execution.fatal) throw execution.fatal;
    if (definition.outputSchema) {
      const parsed = await definition.outputSchema.safeParseAsync(output);
      if (!parsed.success) throw new ValidationError(`output of ${subject}`, parsed.error.issues);
      output = parsed.data;
    }
    return { status: "SUCCESS", output: serialize(output, `output of ${subject}`) };
  } catch (error) {
    const failure = execution.fatal ?? error;
    return { status: "ERROR", error: serializeError(failure, `error of ${subject}`) };
  }
}
