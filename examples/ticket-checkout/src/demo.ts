/**
 * `pnpm demo`: a checkout whose payment is declined, killed while it undoes the reservation, and
 * recovered without reserving twice or charging twice. Run without arguments it narrates: it
 * wipes `./.cairn-demo` (embedded PGlite, no server), runs itself as process 1, which reserves
 * ticket A12 (a transaction on the `tickets` table), is declined by the payment provider, and
 * SIGKILLs itself inside the undo transaction before it commits; then as process 2, which
 * launches the engine on the same data, recovers the checkout, and shows what ran where, the
 * ticket's rows and the provider's ledger.
 */
import { spawn } from "node:child_process";
import { existsSync, readFileSync, rmSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { PGlite } from "@electric-sql/pglite";
import { createEngine } from "@cairn/core";
import { createPgliteStore } from "@cairn/pg-store";
import { createCheckout, type CheckoutHooks, type CheckoutResult } from "./checkout.js";
import { cards, fakePaymentProvider, type PaymentProvider } from "./services.js";
import { setUpTickets, ticketHistory } from "./tickets.js";

/** `CAIRN_DEMO_DATA_DIR` lets the smoke test use a temporary directory. */
const dataDir =
  process.env["CAIRN_DEMO_DATA_DIR"] ?? fileURLToPath(new URL("../.cairn-demo", import.meta.url));
const ledger = `${dataDir}.payments.jsonl`;
const orderId = "order-1";
const order = { ticketId: "A12", cardToken: cards.declined, cents: 4200 };
const say = (line = "") => console.log(line);
const column = (name: string) => name.padEnd(18);

/** The fake provider, announcing each charge request. */
function announcedPayments(): PaymentProvider {
  const provider = fakePaymentProvider(ledger);
  return {
    async charge(request) {
      say(`  ${column("processPayment")} runs: charging the card...`);
      try {
        return await provider.charge(request);
      } catch (error) {
        say(`  ${column("processPayment")} fails: ${(error as Error).message}`);
        throw error;
      }
    },
  };
}

/** One process's engine on the demo database; the checkout's tables live beside Cairn's. */
async function open(hooks: CheckoutHooks) {
  const db = await PGlite.create({ dataDir });
  await setUpTickets(db, [order.ticketId]);
  const checkout = createCheckout(announcedPayments(), hooks);
  const store = createPgliteStore({ db });
  const engine = createEngine({ store, workflows: [checkout] });
  return { db, store, engine, checkout };
}

/** Process 1: reserves, is declined, and dies inside the undo transaction, before its commit. */
async function crashingProcess(): Promise<void> {
  const { engine, checkout } = await open({
    beforeCommit: (name) => {
      if (name === "reserveTicket") {
        say(`  ${column(name)} runs: ticket held; the row and the checkpoint commit together`);
        return;
      }
      say(`  ${column(name)} runs: ticket released, not committed yet...`);
      say("  process 1 kills itself (SIGKILL) inside the undo transaction.");
      process.kill(process.pid, "SIGKILL");
    },
  });
  await engine.launch();
  say(`Process 1 (pid ${process.pid}) starts checkout "${orderId}" for ticket ${order.ticketId}.`);
  await engine.run(checkout, order, { id: orderId });
  throw new Error("process 1 should not have survived the undo");
}

/** Process 2: launches on the same data, recovers the checkout, and tells what happened. */
async function recoveringProcess(): Promise<void> {
  const ran = new Set<string>();
  const { db, store, engine } = await open({
    beforeCommit: (name) => {
      ran.add(name);
      say(`  ${column(name)} runs`);
    },
  });
  say(`Process 2 (pid ${process.pid}) launches the engine on the same data directory.`);
  const before = await ticketHistory(db, order.ticketId);
  say(`  the database aborted the undo: ticket ${order.ticketId} is held by "${before.heldBy}",`);
  say(`  its log reads ${JSON.stringify(before.log)}`);
  const { recovered } = await engine.launch();
  try {
    const result = await engine.retrieve<CheckoutResult>(orderId).result();
    say();
    say(`engine.launch() resumed ${JSON.stringify(recovered)}. Step by step:`);
    for (const { name } of await store.listSteps(orderId)) {
      const here = ran.has(name);
      say(
        here
          ? `  ${column(name)} EXECUTED in process 2, once (process 1's attempt never committed)`
          : `  ${column(name)} SKIPPED: its recorded outcome came back`,
      );
    }
    const after = await ticketHistory(db, order.ticketId);
    const charges = existsSync(ledger) ? readFileSync(ledger, "utf8").trim().split("\n") : [];
    say();
    say(
      `Ticket ${order.ticketId}: held by ${JSON.stringify(after.heldBy)}, log ${JSON.stringify(after.log)}`,
    );
    say(`Payment provider: ${charges.length} charge request(s) in all`);
    say(`Result: ${JSON.stringify(result)}`);
    const once = after.log.join() === "reserved,released" && charges.length === 1;
    if (result.status !== "payment-failed" || after.heldBy !== null || !once) process.exitCode = 1;
  } finally {
    await engine.shutdown();
    await db.close();
  }
}

/** Runs this script again as `role`, sharing the terminal; resolves with how it ended. */
function runAs(role: string): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  const self = fileURLToPath(import.meta.url);
  const child = spawn(process.execPath, [...process.execArgv, self, role], { stdio: "inherit" });
  return new Promise((resolve, reject) => {
    child.on("error", reject);
    child.on("exit", (code, signal) => resolve({ code, signal }));
  });
}

async function narrate(): Promise<void> {
  rmSync(dataDir, { recursive: true, force: true });
  rmSync(ledger, { force: true });
  say("Cairn demo: a declined checkout, killed while undoing its reservation (PGlite, no server).");
  say();
  const first = await runAs("crash");
  if (first.signal !== "SIGKILL")
    throw new Error(`process 1 ended with ${first.signal ?? first.code}`);
  say("Process 1 is dead: reservation and payment are checkpointed, the undo never committed.");
  say();
  const second = await runAs("recover");
  if (second.code !== 0) throw new Error(`process 2 exited with ${second.signal ?? second.code}`);
}

const roles: Record<string, () => Promise<void>> = {
  crash: crashingProcess,
  recover: recoveringProcess,
  narrate,
};
const role = roles[process.argv[2] ?? "narrate"];
if (!role) throw new Error(`unknown role ${process.argv[2]}; run without arguments`);
await role();
