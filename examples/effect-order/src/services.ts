/**
 * Fake inventory and payment services, as layers. They narrate each call so the demo can show
 * which steps really ran in which process, and a hook lets process 1 die inside a call.
 */
import { Effect, Layer } from "effect";
import { Inventory, OutOfStock, PaymentDeclined, PaymentGateway } from "./order.js";

/** Cards the fake gateway knows. */
export const cards = { ok: "4242-ok", declined: "4000-declined" } as const;

const say = (line: string) => Effect.sync(() => console.log(line));
const column = (name: string) => `  ${name.padEnd(13)}`;

/** An inventory with plenty of everything but `"sold-out"`. `onRelease` runs inside release. */
export const InventoryLive = (onRelease: () => void = () => {}) =>
  Layer.succeed(Inventory)({
    reserve: (sku) =>
      sku === "sold-out"
        ? Effect.fail(new OutOfStock({ sku }))
        : Effect.as(say(`${column("reserveStock")}runs: ${sku} reserved`), `res-${sku}`),
    release: (reservationId) =>
      Effect.andThen(
        say(`${column("releaseStock")}runs: releasing ${reservationId}...`),
        Effect.sync(onRelease),
      ).pipe(Effect.andThen(say(`${column("releaseStock")}done: ${reservationId} released`))),
  });

/** A gateway that declines `cards.declined` and accepts every other card. */
export const PaymentGatewayLive = Layer.succeed(PaymentGateway)({
  charge: (card, cents) =>
    card === cards.declined
      ? Effect.andThen(
          say(`${column("charge")}runs: the bank declines the card`),
          Effect.fail(new PaymentDeclined({ reason: "insufficient funds" })),
        )
      : Effect.as(
          say(`${column("charge")}runs: €${(cents / 100).toFixed(2)} charged`),
          `rcpt-${cents}`,
        ),
});
