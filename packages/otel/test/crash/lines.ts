/**
 * The lines the crash worker prints and the test reads: `@@otel <json>`, each a marker (a moment
 * the test waits for) or a finished span, reduced to what the test asserts on.
 */
import type { Attributes } from "@opentelemetry/api";
import type { ReadableSpan } from "@opentelemetry/sdk-trace-base";

const PREFIX = "@@otel ";

/** A finished span as the test compares it, from either process. */
export interface SpanLine {
  readonly kind: "span";
  readonly name: string;
  readonly traceId: string;
  readonly spanId: string;
  readonly parentSpanId: string | undefined;
  readonly attributes: Attributes;
  readonly statusCode: number;
}

export type Line = SpanLine | { readonly kind: "marker"; readonly name: string };

export function toSpanLine(span: ReadableSpan): SpanLine {
  return {
    kind: "span",
    name: span.name,
    traceId: span.spanContext().traceId,
    spanId: span.spanContext().spanId,
    parentSpanId: span.parentSpanContext?.spanId,
    attributes: span.attributes,
    statusCode: span.status.code,
  };
}

/** Writes one line to stdout (synchronous on a pipe, so it is out before a later SIGKILL). */
export function printLine(line: Line): void {
  process.stdout.write(`${PREFIX}${JSON.stringify(line)}\n`);
}

/** The lines in `output`, ignoring everything else the process printed. */
export function parseLines(output: string): Line[] {
  return output
    .split("\n")
    .filter((text) => text.startsWith(PREFIX))
    .map((text) => JSON.parse(text.slice(PREFIX.length)) as Line);
}
