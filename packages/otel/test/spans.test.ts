import { SpanStatusCode, context, trace } from "@opentelemetry/api";
import { W3CTraceContextPropagator } from "@opentelemetry/core";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import {
  createClient,
  createEngine,
  step,
  workflow,
  type AnyWorkflow,
  type EngineObserver,
  type WorkflowStore,
} from "@cairn/core";
import { createMemoryStore } from "@cairn/core/testing";
import { attributes, otelObserver } from "../src/index.js";
import { childrenOf, memoryTracing, spanNamed, useContextManager } from "./support/tracing.js";

beforeAll(useContextManager);

const propagator = new W3CTraceContextPropagator();
const engines: { shutdown(): Promise<void> }[] = [];
afterEach(async () => {
  await Promise.all(engines.splice(0).map((engine) => engine.shutdown()));
});

async function engineWith(
  store: WorkflowStore,
  workflows: AnyWorkflow[],
  observer: EngineObserver,
  executorId = "worker-1",
) {
  const engine = createEngine({ store, workflows, observers: [observer], executorId });
  await engine.launch();
  engines.push(engine);
  return engine;
}

describe("spans", () => {
  it("nests each run under the caller's span and each step attempt under its run", async () => {
    const { provider, exporter } = memoryTracing();
    const tracer = provider.getTracer("test");
    let calls = 0;
    const reserve = step("reserve", () => "R1");
    const charge = step({ name: "charge", retry: { maxAttempts: 2, initialDelayMs: 1 } }, () => {
      if (++calls === 1) throw new Error("card declined once");
      return "paid";
    });
    const receipt = workflow("receipt", async (_ctx, order: string) => `receipt for ${order}`);
    const checkout = workflow("checkout", async (ctx, order: string) => {
      await reserve(ctx);
      await charge(ctx);
      return receipt(ctx, order);
    });
    const engine = await engineWith(
      createMemoryStore(),
      [checkout, receipt],
      otelObserver({ tracerProvider: provider, propagator, metrics: false }),
    );
    const caller = tracer.startSpan("POST /checkout");
    await context.with(trace.setSpan(context.active(), caller), () =>
      engine.run(checkout, "o-1", { id: "o-1" }),
    );
    caller.end();

    const spans = exporter.getFinishedSpans();
    const root = spanNamed(spans, "POST /checkout");
    const run = spanNamed(spans, "workflow checkout");
    expect(new Set(spans.map((s) => s.spanContext().traceId))).toEqual(
      new Set([root.spanContext().traceId]),
    );
    expect(childrenOf(spans, root)).toEqual(["workflow checkout"]);
    expect(childrenOf(spans, run)).toEqual([
      "step reserve",
      "step charge",
      "step charge",
      "workflow receipt",
    ]);
    expect(run.attributes).toMatchObject({
      [attributes.WORKFLOW_ID]: "o-1",
      [attributes.WORKFLOW_NAME]: "checkout",
      [attributes.WORKFLOW_STATUS]: "SUCCESS",
      [attributes.EXECUTOR_ID]: "worker-1",
      [attributes.RUN_CAUSE]: "start",
      [attributes.WORKFLOW_RECOVERY_ATTEMPT]: 0,
    });
    const [failed, succeeded] = spans.filter((s) => s.name === "step charge");
    expect(failed?.attributes).toMatchObject({
      [attributes.STEP_NAME]: "charge",
      [attributes.STEP_KIND]: "step",
      [attributes.STEP_POSITION]: 1,
      [attributes.STEP_ATTEMPT]: 1,
    });
    expect(failed?.status.code).toBe(SpanStatusCode.ERROR);
    expect(failed?.events.map((e) => e.name)).toEqual(["exception"]);
    expect(succeeded?.attributes[attributes.STEP_ATTEMPT]).toBe(2);
    expect(succeeded?.status.code).toBe(SpanStatusCode.UNSET);
    expect(spanNamed(spans, "workflow receipt").attributes).toMatchObject({
      [attributes.PARENT_WORKFLOW_ID]: "o-1",
    });
  });

  it("makes the attempt's span current inside the step, so the step's own spans nest under it", async () => {
    const { provider, exporter } = memoryTracing();
    const fetchPrice = step("fetch-price", () => {
      const inner = provider.getTracer("app").startSpan("GET /price");
      inner.end();
      return 42;
    });
    const quote = workflow("quote", async (ctx) => fetchPrice(ctx));
    const engine = await engineWith(
      createMemoryStore(),
      [quote],
      otelObserver({ tracerProvider: provider, propagator, metrics: false }),
    );
    await engine.run(quote, undefined);
    const spans = exporter.getFinishedSpans();
    expect(childrenOf(spans, spanNamed(spans, "step fetch-price"))).toEqual(["GET /price"]);
  });

  it("marks a failed run's span as an error with the workflow's exception", async () => {
    const { provider, exporter } = memoryTracing();
    const doomed = workflow("doomed", async () => {
      throw new TypeError("bad order");
    });
    const engine = await engineWith(
      createMemoryStore(),
      [doomed],
      otelObserver({ tracerProvider: provider, propagator, metrics: false }),
    );
    await expect(engine.run(doomed, undefined)).rejects.toThrow("bad order");
    const run = spanNamed(exporter.getFinishedSpans(), "workflow doomed");
    expect(run.status).toEqual({ code: SpanStatusCode.ERROR, message: "TypeError: bad order" });
    expect(run.attributes[attributes.WORKFLOW_STATUS]).toBe("ERROR");
    expect(run.events[0]?.attributes?.["exception.message"]).toBe("bad order");
  });

  it("continues the trace of a client's caller in the engine that runs the workflow", async () => {
    const { provider, exporter } = memoryTracing();
    const store = createMemoryStore();
    const flow = workflow("from-client", async (ctx) => step("s", () => 1)(ctx));
    await engineWith(
      store,
      [flow],
      otelObserver({ tracerProvider: provider, propagator, metrics: false }),
    );
    const client = createClient({
      store: { ...store, close: () => Promise.resolve() },
      observers: [otelObserver({ tracerProvider: provider, propagator, metrics: false })],
    });
    const caller = provider.getTracer("web").startSpan("POST /orders");
    const handle = await context.with(trace.setSpan(context.active(), caller), () =>
      client.start("from-client", undefined, { executorId: "worker-1" }),
    );
    caller.end();
    await handle.result();
    await client.close();
    const spans = exporter.getFinishedSpans();
    const run = spanNamed(spans, "workflow from-client");
    expect(run.parentSpanContext?.spanId).toBe(caller.spanContext().spanId);
    expect(run.attributes[attributes.RUN_CAUSE]).toBe("pickup");
  });

  it("makes no spans with traces: false, and stores no trace context", async () => {
    const { provider, exporter } = memoryTracing();
    const store = createMemoryStore();
    const flow = workflow("quiet", async (ctx) => step("s", () => 1)(ctx));
    const engine = await engineWith(
      store,
      [flow],
      otelObserver({ tracerProvider: provider, propagator, traces: false }),
    );
    const caller = provider.getTracer("web").startSpan("caller");
    await context.with(trace.setSpan(context.active(), caller), () =>
      engine.run(flow, undefined, { id: "q" }),
    );
    expect(exporter.getFinishedSpans()).toEqual([]);
    expect((await store.getWorkflow("q"))?.traceContext).toBeUndefined();
  });
});
