import { describe, expectTypeOf, it } from "vitest";
import { z } from "zod";
import {
  createEngine,
  step,
  workflow,
  type HandleOf,
  type WorkflowContext,
  type WorkflowHandle,
  type WorkflowInput,
  type WorkflowOutput,
} from "./index.js";
import { createMemoryStore } from "./testing/index.js";

const engine = createEngine({ store: createMemoryStore(), workflows: [] });

describe("type inference", () => {
  it("extracts a workflow's input and output types", () => {
    const counter = workflow("counter", async (_ctx, input: { from: number }) => input.from + 1);
    expectTypeOf(counter).toBeFunction();
    expectTypeOf<WorkflowInput<typeof counter>>().toEqualTypeOf<{ from: number }>();
    expectTypeOf<WorkflowOutput<typeof counter>>().toEqualTypeOf<number>();
    expectTypeOf<HandleOf<typeof counter>["result"]>().returns.resolves.toEqualTypeOf<number>();
  });

  it("infers a workflow's input from its zod schema and its output from the body", () => {
    const order = workflow(
      { name: "order", input: z.object({ id: z.string(), at: z.coerce.date() }) },
      async (_ctx, input) => {
        expectTypeOf(input).toEqualTypeOf<{ id: string; at: Date }>();
        return { total: 10 };
      },
    );
    expectTypeOf(engine.start(order, { id: "1", at: "2026-01-01" })).resolves.toEqualTypeOf<
      WorkflowHandle<{ total: number }>
    >();
    expectTypeOf(engine.run(order, { id: "1", at: "x" })).resolves.toEqualTypeOf<{
      total: number;
    }>();
    // @ts-expect-error id must be a string
    void engine.start(order, { id: 1, at: "x" });
  });

  it("types the name + function form from the body's parameter", () => {
    const plain = workflow("plain", async (_ctx, input: { n: number }) => input.n * 2);
    expectTypeOf(engine.run(plain, { n: 1 })).resolves.toEqualTypeOf<number>();
    // @ts-expect-error n is missing
    void engine.run(plain, {});
  });

  it("types steps by their body, called with the context first", () => {
    const charge = step("charge", async (orderId: string, cents: number) => ({
      charged: cents > 0,
      orderId,
    }));
    const withCtx = step.withContext("fetch", async ({ signal, attempt }, url: string) => {
      expectTypeOf(signal).toEqualTypeOf<AbortSignal>();
      expectTypeOf(attempt).toEqualTypeOf<number>();
      return url.length;
    });
    workflow("uses", async (ctx: WorkflowContext) => {
      expectTypeOf(await charge(ctx, "o1", 5)).toEqualTypeOf<{
        charged: boolean;
        orderId: string;
      }>();
      expectTypeOf(await withCtx(ctx, "https://example.com")).toEqualTypeOf<number>();
      // @ts-expect-error the context comes first
      await charge("o1", 5);
      return null;
    });
  });

  it("types child workflows called from a parent", () => {
    const child = workflow("child", async (_ctx, n: number) => String(n));
    workflow("parent", async (ctx) => {
      expectTypeOf(await child(ctx, 1)).toEqualTypeOf<string>();
      expectTypeOf(await ctx.start(child, 2)).toEqualTypeOf<WorkflowHandle<string>>();
      // @ts-expect-error the child takes a number
      await child(ctx, "1");
      return null;
    });
  });
});
