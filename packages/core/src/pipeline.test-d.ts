import { describe, expectTypeOf, it } from "vitest";
import { z } from "zod";
import { createEngine, pipeline, step, workflow, type Pipeline, type Workflow } from "./index.js";
import { createMemoryStore } from "./testing/index.js";

const engine = createEngine({ store: createMemoryStore(), workflows: [] });

const length = workflow("length", async (_ctx, text: string) => text.length);
const double = step("double", (n: number) => n * 2);
const describeNumber = workflow("describe", async (_ctx, n: number) => ({ label: `#${n}` }));
const shout = workflow("shout", async (_ctx, text: string) => text.toUpperCase());
const parsed = workflow(
  { name: "parsed", input: z.object({ url: z.string(), tries: z.coerce.number() }) },
  async (_ctx, { url, tries }) => ({ url, tries }),
);

describe("pipeline types", () => {
  it("takes the first stage's input and returns the last stage's output", () => {
    const p = pipeline("p", length, double, describeNumber);
    expectTypeOf(p).toExtend<Workflow<string, { label: string }>>();
    expectTypeOf(engine.run(p, "abc")).resolves.toEqualTypeOf<{ label: string }>();
    // @ts-expect-error the pipeline's input is a string
    void engine.run(p, 3);
  });

  it("rejects a number stage feeding a string stage", () => {
    // @ts-expect-error length outputs a number, shout takes a string
    pipeline("bad", length, shout);
    // @ts-expect-error double outputs a number, length takes a string
    pipeline("bad", shout, length, double, length);
  });

  it("rejects a wrong final output type", () => {
    // @ts-expect-error the last stage outputs { label: string }, not a number
    const wrong: Workflow<string, number> = pipeline("p", length, describeNumber);
    void wrong;
  });

  it("accepts an output that is a subtype of the next stage's input", () => {
    const wide = step("wide", (s: string) => ({ url: s, tries: 1, extra: true }));
    expectTypeOf(pipeline("p", wide, parsed)).toExtend<
      Workflow<string, { url: string; tries: number }>
    >();
  });

  it("types a zod-schema stage by its caller-side input", () => {
    const toTries = step("toTries", (url: string) => ({ url, tries: "3" }));
    expectTypeOf(pipeline("p", toTries, parsed)).toExtend<Workflow<string, unknown>>();
    const wrongShape = step("wrongShape", (url: string) => ({ href: url }));
    // @ts-expect-error { href } is missing the url parsed requires
    pipeline("p", wrongShape, parsed);
  });

  it("rejects steps that do not take exactly one argument, and empty pipelines", () => {
    const two = step("two", (a: string, b: number) => a + b);
    // @ts-expect-error a stage step takes one argument
    pipeline("p", two);
    const none = step("none", () => 1);
    // @ts-expect-error a stage step takes one argument
    pipeline("p", none, double);
    // @ts-expect-error a stage must be a workflow or a step
    pipeline("p", length, (n: number) => n);
    // @ts-expect-error at least one stage
    pipeline("p");
  });

  it("types the options form by its input schema", () => {
    const p = pipeline(
      { name: "p", input: z.string().transform((s) => s.trim()), maxRecoveryAttempts: 3 },
      length,
      double,
    );
    expectTypeOf(p).toExtend<Workflow<string, number>>();
    // @ts-expect-error the schema outputs a string, double takes a number
    pipeline({ name: "p", input: z.string() }, double);
    const plain = pipeline({ name: "plain" }, double, describeNumber);
    expectTypeOf(plain).toExtend<Workflow<number, { label: string }>>();
  });

  it("nests: a pipeline is a stage of another pipeline", () => {
    const inner = pipeline("inner", length, double);
    const outer = pipeline("outer", shout, inner, describeNumber);
    expectTypeOf(outer).toExtend<Workflow<string, { label: string }>>();
    // @ts-expect-error inner outputs a number, shout takes a string
    pipeline("outer", inner, shout);
  });

  it("exposes its stages as a typed tuple", () => {
    const p = pipeline("p", length, double);
    expectTypeOf(p.stages).toEqualTypeOf<readonly [typeof length, typeof double]>();
    expectTypeOf(p).toExtend<Pipeline<string, number, readonly [unknown, unknown]>>();
  });

  it("lets a pipeline be called as a child with the context", () => {
    const p = pipeline("p", length, double);
    workflow("parent", async (ctx, text: string) => {
      expectTypeOf(await p(ctx, text)).toEqualTypeOf<number>();
      return null;
    });
  });
});
