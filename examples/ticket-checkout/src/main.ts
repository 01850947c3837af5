/**
 * The checkout as an application would run it: one engine on embedded PGlite (`./.cairn`), or on
 * Postgres when `DATABASE_URL` is set, launched once (which resumes any checkout a previous run
 * left unfinished), then a few checkouts. Run it with `pnpm --filter ticket-checkout start`.
 */
import { createEngine } from "@cairn/core";
import { createPgStore, createPgliteStore } from "@cairn/pg-store";
import { createCheckout } from "./checkout.js";
import { cards, fakePaymentProvider, fakeTicketInventory } from "./services.js";

const url = process.env["DATABASE_URL"];
const store = url ? createPgStore({ url }) : createPgliteStore({ dataDir: "./.cairn" });
const checkout = createCheckout({
  tickets: fakeTicketInventory(),
  payments: fakePaymentProvider(),
});
const engine = createEngine({ store, workflows: [checkout] });

const { recovered } = await engine.launch();
if (recovered.length > 0) console.log(`resumed unfinished checkouts: ${recovered.join(", ")}`);

const run = Date.now().toString(36);
const orders = [
  { id: `${run}-ok`, input: { ticketId: `A1-${run}`, cardToken: cards.ok, cents: 4200 } },
  { id: `${run}-flaky`, input: { ticketId: `A2-${run}`, cardToken: cards.flaky, cents: 4200 } },
  {
    id: `${run}-declined`,
    input: { ticketId: `A3-${run}`, cardToken: cards.declined, cents: 4200 },
  },
];
try {
  for (const { id, input } of orders) {
    const result = await engine.run(checkout, input, { id });
    console.log(`${id}: ${JSON.stringify(result)}`);
  }
} finally {
  await engine.shutdown();
}
