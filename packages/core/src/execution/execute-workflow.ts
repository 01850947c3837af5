/**
 * Drives one run from its body to its recorded outcome: call the body with the context, validate
 * and serialize what it returns (or the error it throws), and write the outcome in one statement.
 * A run that was interrupted (shutdown, lost store) records nothing and stays PENDING; so does
 * one that suspended (decision 0014), which ends here without waiting for its body.
 */
import {
  DeserializationError,
  WorkflowCancelledError,
  WorkflowInterruptedError,
  WorkflowOwnershipLostError,
} from "../errors.js";
import { parseWithSchema } from "../schema.js";
import type { SerializedValue } from "../store/records.js";
import type { RunFinisher } from "../plugin.js";
import type { WorkflowDefinition } from "../workflow.js";
import type { Journal, Suspended } from "./journal.js";
import type { RunOutcome } from "./run-outcome.js";
import type { RunHost } from "./run-host.js";
import { createWorkflowContext } from "./workflow-context.js";

/**
 * Runs `definition`'s body with a context over `journal` and records the outcome. Never rejects.
 * `readInput` decodes the stored input: a workflow whose input this process cannot decode ends
 * in ERROR with a `DeserializationError` naming it (resumable once the serializer is fixed),
 * rather than staying PENDING to fail again at every pickup.
 */
export async function executeWorkflow(
  host: RunHost,
  definition: WorkflowDefinition,
  journal: Journal,
  readInput: () => unknown,
  finish?: RunFinisher,
): Promise<RunOutcome> {
  // The body's outcome, or the run's suspension if that comes first (one promise, no race).
  const outcome = await new Promise<BodyOutcome | Suspended>((resolve, reject) => {
    journal.onSuspended(resolve);
    runBody(definition, journal, readInput).then(resolve, reject);
  });
  // Suspended: the body is abandoned where it waits, and its replay resumes it when due.
  if ("wakeAt" in outcome) return { kind: "suspended", wakeAt: outcome.wakeAt };
  if (journal.interruption) return stoppedOutcome(journal);
  try {
    const record = { workflowId: journal.workflowId, executorId: host.executorId, ...outcome };
    const finished = await journal.guard(
      () =>
        finish === undefined
          ? host.store.finishWorkflow(record, journal.fence)
          : finish(record, journal.fence),
      "the workflow's outcome",
      true,
    );
    if (finished) return { kind: "finished", ...outcome };
    const current = await host.store.getWorkflow(journal.workflowId);
    if (current?.status === "PENDING" && current.executorId !== host.executorId) {
      return {
        kind: "lost",
        error: new WorkflowOwnershipLostError(journal.workflowId, host.executorId),
      };
    }
    return { kind: "superseded", record: current };
  } catch (error) {
    journal.stop("could not record the workflow's outcome", error);
    return stoppedOutcome(journal);
  }
}

function stoppedOutcome(journal: Journal): RunOutcome {
  const reason = journal.interruption;
  if (WorkflowCancelledError.is(reason)) return { kind: "cancelled", error: reason };
  if (WorkflowOwnershipLostError.is(reason)) return { kind: "lost", error: reason };
  return {
    kind: "interrupted",
    error: reason ?? new WorkflowInterruptedError(journal.workflowId, "stopped"),
  };
}

type BodyOutcome =
  | { readonly status: "SUCCESS"; readonly output: SerializedValue }
  | { readonly status: "ERROR"; readonly error: SerializedValue };

async function runBody(
  definition: WorkflowDefinition,
  journal: Journal,
  readInput: () => unknown,
): Promise<BodyOutcome> {
  const subject = `workflow "${definition.name}"`;
  let input: unknown;
  try {
    input = readInput();
  } catch (error) {
    journal.end();
    const failure = DeserializationError.about(error, `the input of ${subject}`);
    return {
      status: "ERROR",
      error: journal.host.serializer.serializeError(failure, `error of ${subject}`),
    };
  }
  try {
    let output: unknown;
    try {
      output = await definition.body(createWorkflowContext(journal), input);
    } finally {
      journal.end(); // whatever the body left running records nothing from here on
    }
    journal.checkHistoryConsumed();
    if (journal.fatal) throw journal.fatal;
    if (definition.outputSchema) {
      output = await parseWithSchema(definition.outputSchema, output, `output of ${subject}`);
    }
    return {
      status: "SUCCESS",
      output: journal.host.serializer.serialize(output, `output of ${subject}`),
    };
  } catch (error) {
    if (!journal.interruption) journal.checkHistoryConsumed();
    const failure = journal.fatal ?? error;
    return {
      status: "ERROR",
      error: journal.host.serializer.serializeError(failure, `error of ${subject}`),
    };
  }
}
