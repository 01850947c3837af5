import { SpanStatusCode } from "@opentelemetry/api";
import { W3CTraceContextPropagator } from "@opentelemetry/core";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { createEngine, workflow, type Engine } from "@cairn/core";
import { createPgStore, transaction } from "@cairn/pg-store";
import { freshTestSchema, type TestSchema } from "@cairn/pg-store/testing";
import { attributes, otelObserver } from "../src/index.js";
import { childrenOf, memoryTracing, spanNamed, useContextManager } from "./support/tracing.js";

/** A transaction's attempt is a span under its run, like a step's. */
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

describe.skipIf(url === undefined)("transaction attempts (Postgres)", () => {
  it("get a span each, a child of the run's span, failed ones marked", async () => {
    const { provider, exporter } = memoryTracing();
    const sum = transaction("sum", async (tx, a: number, b: number) => {
      const [row] = await tx<{ total: number }[]>`select ${a}::int + ${b}::int as total`;
      return row?.total;
    });
    const refuse = transaction("refuse", async (tx) => {
      await tx`select 1`;
      throw new Error("not today");
    });
    const ledger = workflow("ledger", async (ctx) => {
      const total = await sum(ctx, 2, 3);
      const refused = await refuse(ctx).catch((error: Error) => error.message);
      return `${String(total)} ${refused}`;
    });
    engine = createEngine({
      store: createPgStore({ url: url ?? "", schema: database?.schema ?? "" }),
      workflows: [ledger],
      observers: [
        otelObserver({ tracerProvider: provider, propagator: new W3CTraceContextPropagator() }),
      ],
    });
    await engine.launch();
    await expect(engine.run(ledger, undefined)).resolves.toBe("5 not today");

    const spans = exporter.getFinishedSpans();
    const run = spanNamed(spans, "workflow ledger");
    expect(childrenOf(spans, run)).toEqual(["transaction sum", "transaction refuse"]);
    expect(spanNamed(spans, "transaction sum").attributes).toMatchObject({
      [attributes.STEP_KIND]: "transaction",
      [attributes.STEP_NAME]: "sum",
      [attributes.STEP_POSITION]: 0,
      [attributes.STEP_ATTEMPT]: 1,
    });
    expect(spanNamed(spans, "transaction refuse").status.code).toBe(SpanStatusCode.ERROR);
  });
});
