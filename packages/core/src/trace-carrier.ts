/**
 * The one piece of tracing the store keeps: a caller's trace context, stored with a workflow and
 * handed back to each of its runs. Observers (`observer.ts`) write and read it.
 */

/**
 * Trace context stored with a workflow when it is created, as text headers (W3C `traceparent`
 * and `tracestate` for `@cairn/otel`). Opaque to Cairn: it stores it and hands it back to every
 * run of the workflow, in any process, so a recovered run continues the caller's trace.
 */
export type TraceCarrier = Readonly<Record<string, string>>;
