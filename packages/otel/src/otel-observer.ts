/**
 * The OpenTelemetry observer: one `EngineObserver` that gives an engine spans (a run span per
 * workflow run, an attempt span per step attempt, continuing the trace the workflow was created
 * in) and metrics. It reads providers from the OpenTelemetry API (the globals your SDK
 * registered, unless you pass your own) and never configures exporters itself: that stays the
 * application's job, as OpenTelemetry intends for libraries.
 */
import {
  metrics as globalMetrics,
  propagation,
  trace,
  type MeterProvider,
  type TracerProvider,
} from "@opentelemetry/api";
import type {
  AttemptEnd,
  AttemptInfo,
  EngineObserver,
  LifecycleEvent,
  RunEnd,
  RunInfo,
} from "@cairn/core";
import type { ContextPropagator } from "./propagator.js";
import { INSTRUMENTATION_SCOPE, VERSION } from "./version.js";
import { WorkflowMetrics } from "./workflow-metrics.js";
import { WorkflowTracing } from "./workflow-tracing.js";

/** Options of {@link otelObserver}. */
export interface OtelObserverOptions {
  /** Where spans go. Default: the global tracer provider (`trace.getTracerProvider()`). */
  readonly tracerProvider?: TracerProvider;
  /** Where metrics go. Default: the global meter provider (`metrics.getMeterProvider()`). */
  readonly meterProvider?: MeterProvider;
  /**
   * How trace context is written into a new workflow and read back by its runs. Default: the
   * global `propagation` API, i.e. whatever your SDK registered (W3C trace context and baggage
   * with the Node SDK). Pass `new W3CTraceContextPropagator()` to pin it.
   */
  readonly propagator?: ContextPropagator;
  /** Make spans. Default `true`. */
  readonly traces?: boolean;
  /** Record metrics. Default `true`. */
  readonly metrics?: boolean;
}

/**
 * An engine observer that turns workflow runs and step attempts into OpenTelemetry spans and
 * metrics. Pass it to the engines that run workflows and to clients that start them.
 *
 * @example
 * const engine = createEngine({ store, workflows: [checkout], observers: [otelObserver()] });
 * const client = createClient({ store, observers: [otelObserver({ metrics: false })] });
 */
export function otelObserver(options: OtelObserverOptions = {}): EngineObserver {
  const tracing =
    options.traces === false
      ? undefined
      : new WorkflowTracing(
          (options.tracerProvider ?? trace.getTracerProvider()).getTracer(
            INSTRUMENTATION_SCOPE,
            VERSION,
          ),
          options.propagator ?? propagation,
        );
  const metrics =
    options.metrics === false
      ? undefined
      : new WorkflowMetrics(
          (options.meterProvider ?? globalMetrics.getMeterProvider()).getMeter(
            INSTRUMENTATION_SCOPE,
            VERSION,
          ),
        );
  return new OtelObserver(tracing, metrics);
}

/** Spans around metrics: a run's span is current while its metrics are taken. */
class OtelObserver implements EngineObserver {
  private readonly tracing: WorkflowTracing | undefined;
  private readonly metrics: WorkflowMetrics | undefined;

  constructor(tracing: WorkflowTracing | undefined, metrics: WorkflowMetrics | undefined) {
    this.tracing = tracing;
    this.metrics = metrics;
  }

  inject(carrier: Record<string, string>, parent: RunInfo | undefined): void {
    this.tracing?.inject(carrier, parent);
  }

  aroundRun(run: RunInfo, execute: () => Promise<RunEnd>): Promise<RunEnd> {
    const { metrics, tracing } = this;
    const measured = metrics ? () => metrics.aroundRun(run, execute) : execute;
    return tracing ? tracing.aroundRun(run, measured) : measured();
  }

  aroundAttempt(attempt: AttemptInfo, execute: () => Promise<AttemptEnd>): Promise<AttemptEnd> {
    const { metrics, tracing } = this;
    const measured = metrics ? () => metrics.aroundAttempt(attempt, execute) : execute;
    return tracing ? tracing.aroundAttempt(attempt, measured) : measured();
  }

  onEvent(event: LifecycleEvent): void {
    this.metrics?.onEvent(event);
  }
}
