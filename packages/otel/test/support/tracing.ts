/**
 * A tracer provider that keeps finished spans in memory, an AsyncLocalStorage context manager
 * (as an application's SDK would register), and small readers for the span tree.
 */
import { context } from "@opentelemetry/api";
import { AsyncLocalStorageContextManager } from "@opentelemetry/context-async-hooks";
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
  type ReadableSpan,
} from "@opentelemetry/sdk-trace-base";

/** Registers the global context manager once per test file. */
export function useContextManager(): void {
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
}

/** A provider whose finished spans land in `exporter`. */
export function memoryTracing(): { provider: BasicTracerProvider; exporter: InMemorySpanExporter } {
  const exporter = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
  return { provider, exporter };
}

/** The one finished span named `name`. */
export function spanNamed(spans: readonly ReadableSpan[], name: string): ReadableSpan {
  const found = spans.filter((span) => span.name === name);
  if (found.length !== 1) {
    throw new Error(`expected one span "${name}", found ${found.length}: ${names(spans)}`);
  }
  return found[0] as ReadableSpan;
}

/** The spans whose parent is `parent`, by name, in start order. */
export function childrenOf(spans: readonly ReadableSpan[], parent: ReadableSpan): string[] {
  return spans
    .filter((span) => span.parentSpanContext?.spanId === parent.spanContext().spanId)
    .sort((a, b) => hrMs(a.startTime) - hrMs(b.startTime))
    .map((span) => span.name);
}

const names = (spans: readonly ReadableSpan[]) => spans.map((s) => s.name).join(", ");
const hrMs = ([seconds, nanos]: readonly [number, number]) => seconds * 1e3 + nanos / 1e6;
