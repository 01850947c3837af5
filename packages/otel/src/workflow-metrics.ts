/**
 * Metrics from lifecycle events and wrapped runs and attempts: workflows started, recovered,
 * finished (by status) and dead-lettered, runs in flight, run and step-attempt durations, step
 * retries, queue wait time, and store outages. Attributes are names, statuses and causes, never
 * workflow IDs, so the number of series stays bounded. Queue depth is a gauge that reads the
 * store; it lives in `observe-queue-depth.ts`.
 */
import type { Attributes, Counter, Histogram, Meter, UpDownCounter } from "@opentelemetry/api";
import type { AttemptEnd, AttemptInfo, LifecycleEvent, RunEnd, RunInfo } from "@cairn/core";
import {
  QUEUE_NAME,
  RUN_CAUSE,
  STEP_KIND,
  STEP_NAME,
  STEP_OUTCOME,
  WORKFLOW_NAME,
  WORKFLOW_STATUS,
} from "./attributes.js";

/** The instruments of one engine, and how events move them. */
export class WorkflowMetrics {
  private readonly started: Counter;
  private readonly recovered: Counter;
  private readonly finished: Counter;
  private readonly deadLettered: Counter;
  private readonly running: UpDownCounter;
  private readonly runDuration: Histogram;
  private readonly stepDuration: Histogram;
  private readonly stepRetries: Counter;
  private readonly queueWait: Histogram;
  private readonly outages: Counter;
  private readonly outageDuration: Histogram;

  constructor(meter: Meter) {
    const count = (name: string, description: string, unit = "{workflow}") =>
      meter.createCounter(name, { description, unit });
    const ms = (name: string, description: string) =>
      meter.createHistogram(name, { description, unit: "ms" });
    this.started = count("cairn.workflows.started", "Runs begun of workflows not interrupted");
    this.recovered = count(
      "cairn.workflows.recovered",
      "Runs begun that continue an interrupted workflow (launch recovery or takeover)",
    );
    this.finished = count("cairn.workflows.finished", "Workflows finished here, by status");
    this.deadLettered = count(
      "cairn.workflows.dead_lettered",
      "Workflows moved to DEAD_LETTER for crashing their process too often",
    );
    this.running = meter.createUpDownCounter("cairn.workflows.running", {
      description: "Workflow runs in flight in this process",
      unit: "{workflow}",
    });
    this.runDuration = ms("cairn.workflow.run.duration", "Duration of one run in this process");
    this.stepDuration = ms("cairn.step.duration", "Duration of one step attempt");
    this.stepRetries = count(
      "cairn.step.retries",
      "Step attempts that failed and were retried",
      "{retry}",
    );
    this.queueWait = ms("cairn.queue.wait_time", "Time from enqueue to start, delays included");
    this.outages = count("cairn.store.outages", "Store outages seen by this engine", "{outage}");
    this.outageDuration = ms("cairn.store.outage.duration", "How long store outages lasted");
  }

  /** Counts `run` in flight while `execute` runs, and records its duration by end status. */
  async aroundRun(run: RunInfo, execute: () => Promise<RunEnd>): Promise<RunEnd> {
    const name = { [WORKFLOW_NAME]: run.workflowName };
    this.running.add(1, name);
    try {
      const end = await execute();
      this.runDuration.record(Date.now() - run.startedAt, {
        ...name,
        [WORKFLOW_STATUS]: end.status,
      });
      return end;
    } finally {
      this.running.add(-1, name);
    }
  }

  /** Records the attempt's duration by step name and outcome. */
  async aroundAttempt(
    attempt: AttemptInfo,
    execute: () => Promise<AttemptEnd>,
  ): Promise<AttemptEnd> {
    const startedAt = performance.now();
    const end = await execute();
    this.stepDuration.record(performance.now() - startedAt, {
      [STEP_NAME]: attempt.name,
      [STEP_KIND]: attempt.kind,
      [STEP_OUTCOME]: end.ok ? "ok" : "error",
    });
    return end;
  }

  /** Moves the counters an event concerns. */
  onEvent(event: LifecycleEvent): void {
    switch (event.type) {
      case "workflow.started":
        this.started.add(1, runAttributes(event.run));
        return this.recordQueueWait(event.run);
      case "workflow.recovered":
        return this.recovered.add(1, runAttributes(event.run));
      case "workflow.finished":
        return this.finished.add(1, finishAttributes(event.run, "SUCCESS"));
      case "workflow.failed":
        return this.finished.add(1, finishAttributes(event.run, "ERROR"));
      case "workflow.cancelled":
        return this.finished.add(1, finishAttributes(event.run, "CANCELLED"));
      case "workflow.dead-lettered":
        return this.deadLettered.add(1, { [WORKFLOW_NAME]: event.workflowName });
      case "step.retried":
        return this.stepRetries.add(1, {
          [STEP_NAME]: event.attempt.name,
          [STEP_KIND]: event.attempt.kind,
        });
      case "store.outage-started":
        return this.outages.add(1);
      case "store.outage-ended":
        return this.outageDuration.record(event.durationMs);
      case "workflow.stopped":
      case "workflow.suspended":
        return;
    }
  }

  /** A queued workflow's first start: how long it waited since it was enqueued. */
  private recordQueueWait(run: RunInfo): void {
    if (run.queueName === undefined || run.cause !== "pickup") return;
    this.queueWait.record(Math.max(0, run.startedAt - run.createdAt), {
      [QUEUE_NAME]: run.queueName,
      [WORKFLOW_NAME]: run.workflowName,
    });
  }
}

function runAttributes(run: RunInfo): Attributes {
  const attributes: Attributes = { [WORKFLOW_NAME]: run.workflowName, [RUN_CAUSE]: run.cause };
  if (run.queueName !== undefined) attributes[QUEUE_NAME] = run.queueName;
  return attributes;
}

function finishAttributes(run: RunInfo, status: string): Attributes {
  return { [WORKFLOW_NAME]: run.workflowName, [WORKFLOW_STATUS]: status };
}
