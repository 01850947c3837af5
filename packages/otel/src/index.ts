/**
 * `@cairn/otel`: OpenTelemetry for Cairn. `otelObserver()` gives an engine a span per workflow
 * run and step attempt (continuing, after a crash, the trace the workflow was started in) and
 * workflow, step, queue and outage metrics; `observeQueueDepth()` adds a queue-depth gauge.
 * This barrel is the public API: a change here is an API change.
 */
export { otelObserver, type OtelObserverOptions } from "./otel-observer.js";
export { INSTRUMENTATION_SCOPE, VERSION } from "./version.js";
export {
  observeQueueDepth,
  type CountableQueue,
  type QueueDepthOptions,
} from "./observe-queue-depth.js";
export type { ContextPropagator } from "./propagator.js";
export * as attributes from "./attributes.js";
