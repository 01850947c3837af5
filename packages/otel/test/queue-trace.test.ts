import { context, trace } from "@opentelemetry/api";
import { W3CTraceContextPropagator } from "@opentelemetry/core";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { createEngine, step, workflow, type Engine } from "@cairn/core";
import { createPgStore } from "@cairn/pg-store";
import { createPgQueueStore } from "@cairn/pg-store/queue";
import { freshTestSchema, type TestSchema } from "@cairn/pg-store/testing";
import { createQueues, defineQueue } from "@cairn/queue";
import { attributes, observeQueueDepth, otelObserver } from "../src/index.js";
import { memoryMetrics, valueOf } from "./support/metrics.js";
import { childrenOf, memoryTracing, spanNamed, useContextManager } from "./support/tracing.js";

/** A workflow enqueued inside a caller's span runs, once claimed, in that caller's trace. */
const url = inject("databaseUrl");
let database: TestSchema | undefined;
let engine: Engine | undefined;

beforeAll(() => {
  useContextManager();
  if (url !== undefined) database = freshTestSchema(url);
});
afterAll(async () => {
  await engine?.shutdown();
  await database?.drop();
});

describe.skipIf(url === undefined)("queued workflows (Postgres)", () => {
  it("continue the enqueuer's trace and report their wait and the queue's depth", async () => {
    const tracing = memoryTracing();
    const { provider: meterProvider, collect } = memoryMetrics();
    const emails = defineQueue("emails");
    const send = workflow("send-email", async (ctx, to: string) => step("smtp", () => to)(ctx));
    const store = createPgStore({ url: url ?? "", schema: database?.schema ?? "" });
    engine = createEngine({
      store,
      workflows: [send],
      pollIntervalMs: 50,
      observers: [
        otelObserver({
          tracerProvider: tracing.provider,
          meterProvider,
          propagator: new W3CTraceContextPropagator(),
        }),
      ],
      plugins: [createQueues({ store: createPgQueueStore(store), serve: [emails] })],
    });
    await engine.launch();
    const stopDepth = observeQueueDepth(engine, [emails], { meterProvider });

    const caller = tracing.provider.getTracer("web").startSpan("POST /signup");
    const running = engine;
    const handle = await context.with(trace.setSpan(context.active(), caller), () =>
      emails.enqueue(running, send, "ada@example.com", { id: "mail-1" }),
    );
    caller.end();
    await expect(handle.result()).resolves.toBe("ada@example.com");
    await emails.enqueue(engine, send, "later@example.com", { id: "mail-2", delayMs: 3_600_000 });

    const spans = tracing.exporter.getFinishedSpans();
    const run = spanNamed(spans, "workflow send-email");
    expect(run.parentSpanContext?.spanId).toBe(caller.spanContext().spanId);
    expect(run.spanContext().traceId).toBe(caller.spanContext().traceId);
    expect(run.attributes).toMatchObject({
      [attributes.QUEUE_NAME]: "emails",
      [attributes.RUN_CAUSE]: "pickup",
    });
    expect(childrenOf(spans, run)).toEqual(["step smtp"]);

    const metrics = await collect();
    const queue = { [attributes.QUEUE_NAME]: "emails" };
    expect(valueOf(metrics, "cairn.queue.wait_time", queue)).toBe(1);
    const depth = (status: string) =>
      valueOf(metrics, "cairn.queue.depth", { ...queue, [attributes.WORKFLOW_STATUS]: status });
    expect([depth("ENQUEUED"), depth("delayed"), depth("PENDING")]).toEqual([0, 1, 0]);
    stopDepth();
  });
});
