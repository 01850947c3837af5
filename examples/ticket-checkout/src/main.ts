/**
 * The checkout as an application would run it: one engine on embedded PGlite (`./.cairn`), or on
 * Postgres when `DATABASE_URL` is set, with the `tickets` table in the same database, launched
 * once (which resumes any checkout a previous run left unfinished), then a few checkouts. Run it
 * with `pnpm --filter ticket-checkout start`.
 */
import { PGlite } from "@electric-sql/pglite";
import { createEngine } from "@cairn/core";
import { createPgStore, createPgliteStore } from "@cairn/pg-store";
import postgres from "postgres";
import { createCheckout } from "./checkout.js";
import { cards, fakePaymentProvider } from "./services.js";
import { setUpTickets, type AppDatabase } from "./tickets.js";

const url = process.env["DATABASE_URL"];
const db: AppDatabase = url ? postgres(url) : await PGlite.create({ dataDir: "./.cairn" });
const store = typeof db === "function" ? createPgStore({ sql: db }) : createPgliteStore({ db });
const checkout = createCheckout(fakePaymentProvider());
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
await setUpTickets(
  db,
  orders.map((o) => o.input.ticketId),
);
try {
  for (const { id, input } of orders) {
    const result = await engine.run(checkout, input, { id });
    console.log(`${id}: ${JSON.stringify(result)}`);
  }
} finally {
  await engine.shutdown();
  if (typeof db === "function") await db.end();
  else await db.close();
}
