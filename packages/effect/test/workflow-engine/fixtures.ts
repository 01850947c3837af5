/**
 * Unmodified `effect/workflow` programs for the engine tests: activities that count their runs
 * (in a service, so each test has its own counts), a durable clock, a deferred, compensation and
 * a typed failure. Nothing here knows it runs on Cairn.
 */
import { Context, Effect, Layer, Schema } from "effect";
import {
  Activity,
  DurableClock,
  DurableDeferred,
  Workflow,
  type WorkflowEngine,
} from "effect/workflow";

export class Counts extends Context.Service<Counts, Record<string, number>>()("test/Counts") {}

const count = (name: string) =>
  Counts.useSync((counts) => void (counts[name] = (counts[name] ?? 0) + 1));

export class PaymentDeclined extends Schema.TaggedError<PaymentDeclined>()("PaymentDeclined", {
  amount: Schema.Number,
}) {}

export const Approval = DurableDeferred.make("approval", { success: Schema.String });

/** Reserve (compensated by release), wait for approval, sleep on a durable clock, charge. */
export const Checkout = Workflow.make("Checkout", {
  payload: { orderId: Schema.String, amount: Schema.Number, clockMs: Schema.Number },
  success: Schema.String,
  error: PaymentDeclined,
  idempotencyKey: ({ orderId }) => orderId,
});

export const CheckoutLive = Checkout.toLayer(({ orderId, amount, clockMs }) =>
  Effect.gen(function* () {
    const reservation = yield* Activity.make({
      name: "reserve",
      success: Schema.String,
      execute: Effect.as(count("reserve"), `R-${orderId}`),
    }).pipe(Checkout.withCompensation(() => Effect.andThen(count("release"), Effect.void)));
    const approver = yield* DurableDeferred.await(Approval);
    if (clockMs > 0) {
      yield* DurableClock.sleep({ name: "cool-off", duration: clockMs, inMemoryThreshold: 0 });
    }
    const receipt = yield* Activity.make({
      name: "charge",
      success: Schema.String,
      error: PaymentDeclined,
      execute: Effect.andThen(count("charge"), () =>
        amount > 100
          ? Effect.fail(new PaymentDeclined({ amount }))
          : Effect.succeed(`paid ${amount}`),
      ),
    });
    return `${reservation} / approved by ${approver} / ${receipt}`;
  }),
);

/** The workflows' layer on an engine layer, with the given counts. */
export const live = (
  engine: Layer.Layer<WorkflowEngine.WorkflowEngine>,
  counts: Record<string, number>,
) => CheckoutLive.pipe(Layer.provideMerge(engine), Layer.provide(Layer.succeed(Counts)(counts)));

/** A parent that runs a child workflow and waits for it. */
export const Shipment = Workflow.make("Shipment", {
  payload: { orderId: Schema.String },
  success: Schema.String,
  idempotencyKey: ({ orderId }) => `shipment-${orderId}`,
});

export const Fulfilment = Workflow.make("Fulfilment", {
  payload: { orderId: Schema.String },
  success: Schema.String,
  idempotencyKey: ({ orderId }) => orderId,
});

export const ShipmentApproval = DurableDeferred.make("dispatch", { success: Schema.String });

export const FulfilmentLive = Layer.mergeAll(
  Shipment.toLayer(({ orderId }) =>
    Effect.gen(function* () {
      const carrier = yield* DurableDeferred.await(ShipmentApproval);
      return `${orderId} shipped by ${carrier}`;
    }),
  ),
  Fulfilment.toLayer(({ orderId }) =>
    Effect.gen(function* () {
      const packed = yield* Activity.make({
        name: "pack",
        success: Schema.String,
        execute: Effect.as(count("pack"), `packed ${orderId}`),
      });
      const shipped = yield* Shipment.execute({ orderId });
      return `${packed}; ${shipped}`;
    }),
  ),
);
