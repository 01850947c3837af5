/**
 * What `@cairn/otel` needs to carry trace context into a stored workflow and back out: the two
 * methods that OpenTelemetry's global `propagation` API and every `TextMapPropagator` share.
 */
import type { Context, TextMapGetter, TextMapSetter } from "@opentelemetry/api";

/** Injects a context into text headers and extracts it again. */
export interface ContextPropagator {
  inject(context: Context, carrier: Record<string, string>, setter: TextMapSetter): void;
  extract(
    context: Context,
    carrier: Readonly<Record<string, string>>,
    getter: TextMapGetter,
  ): Context;
}
