/**
 * The order workflow, written with Effect: reserve the stock, charge the card, ship. Its failures
 * are typed (`OutOfStock`, `PaymentDeclined`), the services it needs (`Inventory`,
 * `PaymentGateway`) come from layers, and a declined payment is compensated by releasing the
 * reservation before the workflow fails with the decline. Every step is checkpointed by Cairn.
 */
import { step, workflow } from "@cairn/effect";
import { Context, Effect, Schema } from "effect";

export class OutOfStock extends Schema.TaggedError<OutOfStock>()("OutOfStock", {
  sku: Schema.String,
}) {}

export class PaymentDeclined extends Schema.TaggedError<PaymentDeclined>()("PaymentDeclined", {
  reason: Schema.String,
}) {}

export const Order = Schema.Struct({
  orderId: Schema.String,
  sku: Schema.String,
  card: Schema.String,
  cents: Schema.Int,
});
export type Order = typeof Order.Type;

/** Where stock is held and released. */
export class Inventory extends Context.Service<
  Inventory,
  {
    readonly reserve: (sku: string) => Effect.Effect<string, OutOfStock>;
    readonly release: (reservationId: string) => Effect.Effect<void>;
  }
>()("effect-order/Inventory") {}

/** Who takes the money. */
export class PaymentGateway extends Context.Service<
  PaymentGateway,
  { readonly charge: (card: string, cents: number) => Effect.Effect<string, PaymentDeclined> }
>()("effect-order/PaymentGateway") {}

const reserveStock = step({ name: "reserveStock", error: OutOfStock }, (sku: string) =>
  Inventory.use((inventory) => inventory.reserve(sku)),
);

const releaseStock = step("releaseStock", (reservationId: string) =>
  Inventory.use((inventory) => inventory.release(reservationId)),
);

const charge = step({ name: "charge", error: PaymentDeclined }, (card: string, cents: number) =>
  PaymentGateway.use((gateway) => gateway.charge(card, cents)),
);

const ship = step("ship", (orderId: string, reservationId: string) =>
  Effect.succeed(`parcel for ${orderId} (${reservationId})`),
);

/** Reserve, charge (releasing the stock if the card is declined), ship. */
export const placeOrder = workflow(
  {
    name: "placeOrder",
    input: Order,
    error: Schema.Union([OutOfStock, PaymentDeclined]),
  },
  (order) =>
    Effect.gen(function* () {
      const reservationId = yield* reserveStock(order.sku);
      const receipt = yield* charge(order.card, order.cents).pipe(
        Effect.tapError(() => releaseStock(reservationId)),
      );
      const parcel = yield* ship(order.orderId, reservationId);
      return { receipt, parcel };
    }),
);
