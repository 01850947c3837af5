/**
 * The log line of each lifecycle event: one line, structured fields (`event`, `workflowId`,
 * `workflow`, ...). Routine events are `info`, so the default console logger (warn and up)
 * stays quiet; a run stopped early and the start of a store outage are `warn`; a dead letter,
 * which needs an operator, is `error`.
 */
import { logsAt, type LogFields, type Logger, type LogLevel } from "../logger.js";
import type { LifecycleEvent, RunInfo } from "../observer.js";

/** The level of each event's line. */
function levelOf(event: LifecycleEvent): LogLevel {
  switch (event.type) {
    case "workflow.stopped":
    case "store.outage-started":
      return "warn";
    case "workflow.dead-lettered":
      return "error";
    case "workflow.suspended":
      return "debug";
    case "workflow.started":
    case "workflow.recovered":
    case "workflow.finished":
    case "workflow.failed":
    case "workflow.cancelled":
    case "step.retried":
    case "store.outage-ended":
      return "info";
  }
}

/** Writes `event`'s line to `logger`; builds nothing when the logger drops that level. */
export function logEvent(logger: Logger, event: LifecycleEvent): void {
  if (!logsAt(logger, levelOf(event))) return;
  switch (event.type) {
    case "workflow.started":
    case "workflow.recovered": {
      const verb = event.type === "workflow.started" ? "started" : "recovered";
      const { cause, recoveryAttempt } = event.run;
      return logger.info(`${describe(event.run)} ${verb}`, {
        ...runFields(event),
        cause,
        recoveryAttempt,
      });
    }
    case "workflow.finished":
      return logger.info(`${describe(event.run)} finished`, {
        ...runFields(event),
        durationMs: event.durationMs,
      });
    case "workflow.failed":
      return logger.info(`${describe(event.run)} failed`, {
        ...runFields(event),
        durationMs: event.durationMs,
        error: event.error,
      });
    case "workflow.cancelled":
      return logger.info(`${describe(event.run)} cancelled`, {
        ...runFields(event),
        durationMs: event.durationMs,
      });
    case "workflow.stopped":
      return logger.warn(`${describe(event.run)} stopped here: ${messageOf(event.reason)}`, {
        ...runFields(event),
        error: event.reason,
      });
    case "workflow.suspended":
      return logger.debug(
        `${describe(event.run)} suspended ${event.wakeAt === undefined ? "until woken" : `until ${event.wakeAt}`}`,
        {
          ...runFields(event),
        },
      );
    case "workflow.dead-lettered":
      return logger.error(`workflow ${event.workflowId} moved to DEAD_LETTER`, {
        event: event.type,
        workflowId: event.workflowId,
        workflow: event.workflowName,
        executorId: event.executorId,
        recoveryAttempts: event.recoveryAttempts,
      });
    case "step.retried": {
      const { attempt } = event;
      return logger.info(
        `step "${attempt.name}" attempt ${attempt.attempt} failed; retrying in ${event.delayMs} ms`,
        {
          ...runFields({ type: event.type, run: attempt.run }),
          step: attempt.name,
          position: attempt.position,
          attempt: attempt.attempt,
          delayMs: event.delayMs,
          error: event.error,
        },
      );
    }
    case "store.outage-started":
      return logger.warn("store unavailable; workflows wait and retry until it is back", {
        event: event.type,
        executorId: event.executorId,
        error: event.error,
      });
    case "store.outage-ended":
      return logger.info(`store available again after ${event.durationMs} ms`, {
        event: event.type,
        executorId: event.executorId,
        durationMs: event.durationMs,
      });
  }
}

function messageOf(reason: unknown): string {
  return reason instanceof Error ? reason.message : String(reason);
}

function describe(run: RunInfo): string {
  return `workflow ${run.workflowId} (${run.workflowName})`;
}

function runFields(event: { readonly type: string; readonly run: RunInfo }): LogFields {
  return {
    event: event.type,
    workflowId: event.run.workflowId,
    workflow: event.run.workflowName,
    executorId: event.run.executorId,
  };
}
