/**
 * Workflows, steps and services shared by the Effect-native tests: a payment service provided by
 * a layer, typed failures with and without schemas, and a step that can be told to hang so a
 * test can abandon its engine mid-run.
 */
import { Context, Data, Effect, Layer, Schema } from "effect";
import { step, workflow, sleep } from "../../src/index.js";

export class Declined extends Schema.TaggedError<Declined>()("Declined", {
  reason: Schema.String,
}) {}

export class OutOfStock extends Data.TaggedError("OutOfStock")<{ readonly sku: string }> {}

/** Counts how often each step body really ran, and can make `ship` hang. */
export class Probe extends Context.Service<
  Probe,
  { readonly runs: Record<string, number>; hangShip: boolean }
>()("test/Probe") {}

export class Payments extends Context.Service<
  Payments,
  { readonly charge: (amount: number) => Effect.Effect<string, Declined> }
>()("test/Payments") {}

export const probeLayer = (probe: Probe["Service"]) => Layer.succeed(Probe)(probe);

export const newProbe = (): Probe["Service"] => ({ runs: {}, hangShip: false });

const count = (name: string) =>
  Probe.useSync((probe) => void (probe.runs[name] = (probe.runs[name] ?? 0) + 1));

/** Payments that decline anything above 100. */
export const paymentsLayer = Layer.succeed(Payments)({
  charge: (amount) =>
    amount > 100
      ? Effect.fail(new Declined({ reason: `limit exceeded by ${amount - 100}` }))
      : Effect.succeed(`receipt-${amount}`),
});

export const charge = step({ name: "charge", error: Declined }, (amount: number) =>
  Effect.andThen(
    count("charge"),
    Payments.use((payments) => payments.charge(amount)),
  ),
);

export const reserve = step("reserve", (sku: string) =>
  Effect.andThen(
    count("reserve"),
    sku === "none" ? Effect.fail(new OutOfStock({ sku })) : Effect.succeed(`R-${sku}`),
  ),
);

export const ship = step("ship", (sku: string) =>
  Effect.gen(function* () {
    yield* count("ship");
    const probe = yield* Probe;
    if (probe.hangShip) return yield* Effect.never;
    return `shipped-${sku}`;
  }),
);

export const Order = Schema.Struct({ sku: Schema.String, amount: Schema.Number });

/** Reserve, charge (a Declined is handled with catchTag), then ship. */
export const order = workflow(
  { name: "order", input: Order, error: Schema.Union([Declined]) },
  ({ sku, amount }) =>
    Effect.gen(function* () {
      const reservation = yield* reserve(sku).pipe(
        Effect.catchTag("OutOfStock", (e) =>
          Effect.succeed(`no-${e.sku}:${e instanceof OutOfStock}`),
        ),
      );
      const payment = yield* charge(amount).pipe(
        Effect.catchTag("Declined", (e) =>
          Effect.succeed(`declined(${e.reason}, class=${e instanceof Declined})`),
        ),
      );
      yield* sleep("1 millis");
      const shipment = yield* ship(sku);
      return [reservation, payment, shipment].join(" / ");
    }),
);
