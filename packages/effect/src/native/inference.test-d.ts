import type { Layer } from "effect";
import { Context, Effect, Schema } from "effect";
import { describe, expectTypeOf, it } from "vitest";
import { CairnEngine, type CairnEngineService } from "./engine.js";
import type { CurrentWorkflow } from "./current-workflow.js";
import type { WorkflowCancelled } from "./errors.js";
import { step } from "./step.js";
import {
  workflow,
  type ErrorOf,
  type InputOf,
  type RequirementsOf,
  type SuccessOf,
} from "./workflow.js";

class Declined extends Schema.TaggedError<Declined>()("Declined", { reason: Schema.String }) {}
class Timeout extends Schema.TaggedError<Timeout>()("Timeout", {}) {}
class Payments extends Context.Service<
  Payments,
  { readonly charge: (n: number) => Effect.Effect<string, Declined> }
>()("Payments") {}
class Mailer extends Context.Service<
  Mailer,
  { readonly send: (to: string) => Effect.Effect<void, Timeout> }
>()("Mailer") {}

const charge = step(
  { name: "charge", error: Declined },
  (amount: number, currency: "EUR" | "USD") =>
    Payments.use((p) => p.charge(amount)).pipe(Effect.map((receipt) => `${receipt}:${currency}`)),
);
const notify = step("notify", (to: string) => Mailer.use((m) => m.send(to)));

const order = workflow(
  { name: "order", input: Schema.Struct({ amount: Schema.Number, email: Schema.String }) },
  ({ amount, email }) =>
    Effect.gen(function* () {
      const receipt = yield* charge(amount, "EUR");
      yield* notify(email);
      return { receipt };
    }),
);

describe("type inference", () => {
  it("infers a step's arguments, success, failure and requirements", () => {
    expectTypeOf(charge).parameters.toEqualTypeOf<[number, "EUR" | "USD"]>();
    expectTypeOf(charge(1, "EUR")).toEqualTypeOf<
      Effect.Effect<string, Declined, Payments | CurrentWorkflow>
    >();
    expectTypeOf(notify("a")).toEqualTypeOf<
      Effect.Effect<void, Timeout, Mailer | CurrentWorkflow>
    >();
  });

  it("infers a workflow's input, success, failure and requirements, without CurrentWorkflow", () => {
    expectTypeOf<InputOf<typeof order>>().toEqualTypeOf<{
      readonly amount: number;
      readonly email: string;
    }>();
    expectTypeOf<SuccessOf<typeof order>>().toEqualTypeOf<{ receipt: string }>();
    expectTypeOf<ErrorOf<typeof order>>().toEqualTypeOf<Declined | Timeout>();
    expectTypeOf<RequirementsOf<typeof order>>().toEqualTypeOf<Payments | Mailer>();
  });

  it("makes the engine layer require the workflows' services", () => {
    const layer = CairnEngine.layer({ store: {} as never, workflows: [order] });
    expectTypeOf(layer).toEqualTypeOf<Layer.Layer<CairnEngine, never, Payments | Mailer>>();
  });

  it("types run with the workflow's failure plus cancellation and input errors", () => {
    const engine = {} as CairnEngineService;
    expectTypeOf(engine.run(order, { amount: 1, email: "a@b" })).toEqualTypeOf<
      Effect.Effect<
        { receipt: string },
        Declined | Timeout | WorkflowCancelled | Schema.SchemaError
      >
    >();
    // @ts-expect-error the input must match the workflow's schema type
    void engine.run(order, { amount: "1", email: "a@b" });
  });
});
