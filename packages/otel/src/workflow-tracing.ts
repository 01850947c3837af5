/**
 * Spans for workflow runs and step attempts. A run's span is a child of the trace context stored
 * with the workflow when it was created, so every run of it, in whichever process recovers it
 * after a crash, lands in the caller's trace; each attempt's span is a child of its run's span.
 * Both spans are made current around the code they cover, so spans the user's own code creates
 * (an HTTP call inside a step) nest under them when a context manager is registered. Parents are
 * passed explicitly, never found through ambient state, so the tree is right without one too.
 */
import {
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  context,
  defaultTextMapGetter,
  defaultTextMapSetter,
  trace,
  type Attributes,
  type Context,
  type Span,
  type Tracer,
} from "@opentelemetry/api";
import type { AttemptEnd, AttemptInfo, RunEnd, RunInfo } from "@cairn/core";
import {
  EXECUTOR_ID,
  PARENT_WORKFLOW_ID,
  QUEUE_NAME,
  RUN_CAUSE,
  STEP_ATTEMPT,
  STEP_KIND,
  STEP_NAME,
  STEP_POSITION,
  WORKFLOW_ID,
  WORKFLOW_NAME,
  WORKFLOW_RECOVERY_ATTEMPT,
  WORKFLOW_STATUS,
} from "./attributes.js";
import type { ContextPropagator } from "./propagator.js";

/** Makes the spans of one engine's runs and attempts. */
export class WorkflowTracing {
  /** Each running run's context (its span current): attempts and children hang under it. */
  private readonly runs = new WeakMap<RunInfo, Context>();
  private readonly tracer: Tracer;
  private readonly propagator: ContextPropagator;

  constructor(tracer: Tracer, propagator: ContextPropagator) {
    this.tracer = tracer;
    this.propagator = propagator;
  }

  /** Writes the creator's context into a new workflow's carrier: the parent run's, or the caller's. */
  inject(carrier: Record<string, string>, parent: RunInfo | undefined): void {
    const creator = (parent && this.runs.get(parent)) ?? context.active();
    this.propagator.inject(creator, carrier, defaultTextMapSetter);
  }

  /** Runs `execute` inside a span for the run, a child of the workflow's stored context. */
  async aroundRun(run: RunInfo, execute: () => Promise<RunEnd>): Promise<RunEnd> {
    const parent = run.traceContext
      ? this.propagator.extract(ROOT_CONTEXT, run.traceContext, defaultTextMapGetter)
      : context.active();
    const span = this.tracer.startSpan(
      `workflow ${run.workflowName}`,
      { kind: SpanKind.INTERNAL, attributes: runAttributes(run), startTime: run.startedAt },
      parent,
    );
    const current = trace.setSpan(parent, span);
    this.runs.set(run, current);
    try {
      const end = await context.with(current, execute);
      span.setAttribute(WORKFLOW_STATUS, end.status);
      if (end.status === "ERROR") fail(span, end.error);
      else if (end.status === "PENDING") span.addEvent("cairn.run.stopped", reasonOf(end.error));
      return end;
    } finally {
      this.runs.delete(run);
      span.end();
    }
  }

  /** Runs `execute` inside a span for the attempt, a child of its run's span. */
  async aroundAttempt(
    attempt: AttemptInfo,
    execute: () => Promise<AttemptEnd>,
  ): Promise<AttemptEnd> {
    const parent = this.runs.get(attempt.run) ?? context.active();
    const span = this.tracer.startSpan(
      `${attempt.kind} ${attempt.name}`,
      { kind: SpanKind.INTERNAL, attributes: attemptAttributes(attempt) },
      parent,
    );
    try {
      const end = await context.with(trace.setSpan(parent, span), execute);
      if (!end.ok) fail(span, end.error);
      return end;
    } finally {
      span.end();
    }
  }
}

function runAttributes(run: RunInfo): Attributes {
  const attributes: Attributes = {
    [WORKFLOW_ID]: run.workflowId,
    [WORKFLOW_NAME]: run.workflowName,
    [EXECUTOR_ID]: run.executorId,
    [RUN_CAUSE]: run.cause,
    [WORKFLOW_RECOVERY_ATTEMPT]: run.recoveryAttempt,
  };
  if (run.parentWorkflowId !== undefined) attributes[PARENT_WORKFLOW_ID] = run.parentWorkflowId;
  if (run.queueName !== undefined) attributes[QUEUE_NAME] = run.queueName;
  return attributes;
}

function attemptAttributes(attempt: AttemptInfo): Attributes {
  return {
    [WORKFLOW_ID]: attempt.run.workflowId,
    [WORKFLOW_NAME]: attempt.run.workflowName,
    [STEP_NAME]: attempt.name,
    [STEP_KIND]: attempt.kind,
    [STEP_POSITION]: attempt.position,
    [STEP_ATTEMPT]: attempt.attempt,
  };
}

/** Marks `span` failed with `error` recorded as an exception event. */
function fail(span: Span, error: unknown): void {
  if (error instanceof Error) span.recordException(error);
  else span.recordException({ name: "Error", message: String(error) });
  span.setStatus({ code: SpanStatusCode.ERROR, message: reasonOf(error)["message"] });
}

function reasonOf(error: unknown): { message: string } {
  return { message: error instanceof Error ? `${error.name}: ${error.message}` : String(error) };
}
