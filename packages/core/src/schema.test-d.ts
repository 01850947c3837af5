import * as v from "valibot";
import { describe, expectTypeOf, it } from "vitest";
import { z } from "zod";
import {
  pipeline,
  type AnyWorkflowContext,
  step,
  workflow,
  type SchemaInput,
  type SchemaOutput,
  type StandardSchema,
  type WorkflowInput,
} from "./index.js";

/** A Standard Schema written by hand: a positive integer given as a string or a number. */
const positiveInt: StandardSchema<string | number, number> = {
  "~standard": {
    version: 1,
    vendor: "hand-written",
    validate: (value) => {
      const n = typeof value === "string" ? Number(value) : value;
      return typeof n === "number" && Number.isInteger(n) && n > 0
        ? { value: n }
        : { issues: [{ message: "expected a positive integer" }] };
    },
  },
};

describe("Standard Schema inference", () => {
  it("reads input and output types from zod, valibot and a hand-written schema", () => {
    const _zodDate = z.object({ at: z.coerce.date() });
    expectTypeOf<SchemaOutput<typeof _zodDate>>().toEqualTypeOf<{ at: Date }>();
    const _valibotLength = v.pipe(
      v.string(),
      v.transform((text) => text.length),
    );
    expectTypeOf<SchemaInput<typeof _valibotLength>>().toEqualTypeOf<string>();
    expectTypeOf<SchemaOutput<typeof _valibotLength>>().toEqualTypeOf<number>();
    expectTypeOf<SchemaInput<typeof positiveInt>>().toEqualTypeOf<string | number>();
    expectTypeOf<SchemaOutput<typeof positiveInt>>().toEqualTypeOf<number>();
  });

  it("types a workflow's caller input and body input from a valibot schema", () => {
    const _order = workflow(
      {
        name: "order",
        input: v.object({ id: v.string(), qty: v.pipe(v.string(), v.transform(Number)) }),
      },
      async (_ctx, input) => {
        expectTypeOf(input).toEqualTypeOf<{ id: string; qty: number }>();
        return input.qty;
      },
    );
    expectTypeOf<WorkflowInput<typeof _order>>().toEqualTypeOf<{ id: string; qty: string }>();
  });

  it("types a workflow's input from a hand-written schema", () => {
    const _square = workflow({ name: "square", input: positiveInt }, async (_ctx, n) => {
      expectTypeOf(n).toEqualTypeOf<number>();
      return n * n;
    });
    expectTypeOf<WorkflowInput<typeof _square>>().toEqualTypeOf<string | number>();
  });

  it("rejects an input option that is not a schema", () => {
    // @ts-expect-error a plain object is not a Standard Schema
    workflow({ name: "bad", input: { parse: (x: unknown) => x } }, async () => 1);
  });

  it("types channels declared with valibot and with zod side by side", () => {
    workflow(
      {
        name: "approval",
        channels: {
          messages: { decision: v.object({ approved: v.boolean() }) },
          events: { status: z.enum(["waiting", "done"]) },
        },
      },
      async (ctx) => {
        expectTypeOf(ctx).toExtend<AnyWorkflowContext>();
        const decision = await ctx.recv("decision");
        expectTypeOf(decision).toEqualTypeOf<{ approved: boolean } | undefined>();
        await ctx.setEvent("status", "done");
        // @ts-expect-error not one of the declared values
        await ctx.setEvent("status", "lost");
        return decision?.approved ?? false;
      },
    );
  });

  it("checks pipeline hand-offs against a valibot stage and takes a valibot pipeline input", () => {
    const parse = workflow(
      { name: "parse", input: v.object({ text: v.string() }) },
      async (_ctx, { text }) => text.split(" "),
    );
    const count = step("count", async (words: string[]) => words.length);
    const _p = pipeline({ name: "p", input: v.object({ text: v.string() }) }, parse, count);
    expectTypeOf<WorkflowInput<typeof _p>>().toEqualTypeOf<{ text: string }>();
    const toNumber = step("toNumber", async (text: string) => Number(text));
    // @ts-expect-error stage 2 wants { text: string }, stage 1 returns a number
    pipeline("bad", toNumber, parse);
  });
});
