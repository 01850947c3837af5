/**
 * The process the crash test kills. It traces to its stdout: every span, when it ends, is
 * printed as one `@@otel` JSON line (synchronously: stdout is a pipe), so what ended before the
 * SIGKILL is known. It opens a caller span ("POST /checkout"), starts the workflow inside it,
 * ends it, and hangs in `charge`.
 */
import { context, trace } from "@opentelemetry/api";
import { AsyncLocalStorageContextManager } from "@opentelemetry/context-async-hooks";
import {
  ExportResultCode,
  W3CTraceContextPropagator,
  type ExportResult,
} from "@opentelemetry/core";
import {
  BasicTracerProvider,
  SimpleSpanProcessor,
  type ReadableSpan,
  type SpanExporter,
} from "@opentelemetry/sdk-trace-base";
import { createEngine } from "@cairn/core";
import { createPgStore } from "@cairn/pg-store";
import { otelObserver } from "../../src/index.js";
import { EXECUTOR_ID, checkout, hooks } from "./checkout.js";
import { printLine, toSpanLine } from "./lines.js";

class StdoutSpanExporter implements SpanExporter {
  export(spans: ReadableSpan[], done: (result: ExportResult) => void): void {
    for (const span of spans) printLine(toSpanLine(span));
    done({ code: ExportResultCode.SUCCESS });
  }
  shutdown(): Promise<void> {
    return Promise.resolve();
  }
}

const url = process.env["OTEL_CRASH_URL"] ?? "";
const schema = process.env["OTEL_CRASH_SCHEMA"] ?? "";
const order = process.env["OTEL_CRASH_ORDER"] ?? "";

context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
const provider = new BasicTracerProvider({
  spanProcessors: [new SimpleSpanProcessor(new StdoutSpanExporter())],
});
hooks.hang = true;
hooks.chargeStarted = () => printLine({ kind: "marker", name: "charge-started" });

const engine = createEngine({
  store: createPgStore({ url, schema }),
  workflows: [checkout],
  executorId: EXECUTOR_ID,
  observers: [
    otelObserver({ tracerProvider: provider, propagator: new W3CTraceContextPropagator() }),
  ],
});
await engine.launch();
const caller = provider.getTracer("web").startSpan("POST /checkout");
await context.with(trace.setSpan(context.active(), caller), () =>
  engine.start(checkout, order, { id: order }),
);
caller.end();
