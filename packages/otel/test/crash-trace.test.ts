import { SpanStatusCode } from "@opentelemetry/api";
import { W3CTraceContextPropagator } from "@opentelemetry/core";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { createEngine } from "@cairn/core";
import { createPgStore } from "@cairn/pg-store";
import { freshTestSchema, type TestSchema } from "@cairn/pg-store/testing";
import { attributes, otelObserver } from "../src/index.js";
import { EXECUTOR_ID, checkout } from "./crash/checkout.js";
import { toSpanLine, type SpanLine } from "./crash/lines.js";
import { spawnTracedWorker, type TracedWorker } from "./crash/spawn-worker.js";
import { memoryTracing, useContextManager } from "./support/tracing.js";

/**
 * A workflow started inside a caller's span, in a process that is SIGKILLed in the middle of its
 * second step, and recovered by another process: both processes' spans form one trace.
 */
const url = inject("databaseUrl");
let database: TestSchema | undefined;
let worker: TracedWorker | undefined;

beforeAll(() => {
  useContextManager();
  if (url !== undefined) database = freshTestSchema(url);
});
afterAll(async () => {
  await worker?.kill();
  await database?.drop();
});

const spanNamed = (spans: readonly SpanLine[], name: string): SpanLine => {
  const found = spans.filter((span) => span.name === name);
  expect(found.map((span) => span.name)).toEqual([name]);
  return found[0] as SpanLine;
};

describe.skipIf(url === undefined)("a trace across a crash (Postgres)", () => {
  it("continues the caller's trace in the process that recovers the workflow", async () => {
    const schema = database?.schema ?? "";
    const order = "o-crash-1";
    worker = spawnTracedWorker({
      OTEL_CRASH_URL: url ?? "",
      OTEL_CRASH_SCHEMA: schema,
      OTEL_CRASH_ORDER: order,
    });
    await worker.waitForMarker("charge-started");
    await worker.kill(); // SIGKILL mid-charge: reserve is checkpointed, charge is not
    const before = worker.lines().filter((line): line is SpanLine => line.kind === "span");

    const { provider, exporter } = memoryTracing();
    const engine = createEngine({
      store: createPgStore({ url: url ?? "", schema }),
      workflows: [checkout],
      executorId: EXECUTOR_ID, // the same executor restarting: recovery at launch
      observers: [
        otelObserver({ tracerProvider: provider, propagator: new W3CTraceContextPropagator() }),
      ],
    });
    const report = await engine.launch();
    expect(report.recovered).toEqual([order]);
    await expect(engine.retrieve(order).result()).resolves.toBe(`R-${order}/paid-${order}`);
    await engine.shutdown();
    const after = exporter.getFinishedSpans().map(toSpanLine);

    // The killed process: the caller's span and the reserve attempt ended; its run span and
    // the charge attempt never did, so they were never exported.
    expect(before.map((span) => span.name).sort()).toEqual(["POST /checkout", "step reserve"]);
    const caller = spanNamed(before, "POST /checkout");
    const reserve = spanNamed(before, "step reserve");
    expect(caller.parentSpanId).toBeUndefined();
    expect(reserve.traceId).toBe(caller.traceId);
    const lostRunSpanId = reserve.parentSpanId;
    expect(lostRunSpanId).toBeDefined();
    expect(lostRunSpanId).not.toBe(caller.spanId);

    // The recovering process: a new run span under the caller's span, in the same trace, and
    // an attempt only for the step that had not been checkpointed.
    expect(after.map((span) => span.name).sort()).toEqual(["step charge", "workflow checkout"]);
    const run = spanNamed(after, "workflow checkout");
    expect(run.traceId).toBe(caller.traceId);
    expect(run.parentSpanId).toBe(caller.spanId);
    expect(run.spanId).not.toBe(lostRunSpanId);
    expect(run.attributes).toMatchObject({
      [attributes.WORKFLOW_ID]: order,
      [attributes.WORKFLOW_NAME]: "checkout",
      [attributes.WORKFLOW_STATUS]: "SUCCESS",
      [attributes.RUN_CAUSE]: "recovery",
      [attributes.WORKFLOW_RECOVERY_ATTEMPT]: 1,
      [attributes.EXECUTOR_ID]: EXECUTOR_ID,
    });
    expect(run.statusCode).toBe(SpanStatusCode.UNSET);
    const charge = spanNamed(after, "step charge");
    expect(charge.parentSpanId).toBe(run.spanId);
    expect(charge.traceId).toBe(caller.traceId);
    expect(charge.attributes).toMatchObject({
      [attributes.STEP_POSITION]: 1,
      [attributes.STEP_ATTEMPT]: 1,
    });
  }, 120_000);
});
