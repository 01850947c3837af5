/**
 * `pnpm demo`: the checkout survives kill -9. This script plays three roles. Run without
 * arguments it narrates: it wipes `./.cairn-demo` (an embedded PGlite database, no server),
 * runs itself as process 1, which starts a checkout and SIGKILLs itself in the middle of the
 * payment step, then runs itself as process 2, which launches the engine on the same data,
 * recovers the checkout and tells which steps were skipped (resumed from their checkpoints)
 * and which ran.
 */
import { spawn } from "node:child_process";
import { rmSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { createEngine } from "@cairn/core";
import { createPgliteStore } from "@cairn/pg-store";
import { createCheckout, type CheckoutResult } from "./checkout.js";
import {
  cards,
  fakePaymentProvider,
  fakeTicketInventory,
  type CheckoutServices,
} from "./services.js";

/** `CAIRN_DEMO_DATA_DIR` lets the smoke test use a temporary directory. */
const dataDir =
  process.env["CAIRN_DEMO_DATA_DIR"] ?? fileURLToPath(new URL("../.cairn-demo", import.meta.url));
const orderId = "order-1";
const order = { ticketId: "A12", cardToken: cards.ok, cents: 4200 };
const say = (line = "") => console.log(line);
const column = (name: string) => name.padEnd(15);
const euros = (cents: number) => `€${(cents / 100).toFixed(2)}`;

/** The fake services, announcing each call and remembering which steps ran in this process. */
function observedServices(onPayment: () => void): CheckoutServices & { ran: Set<string> } {
  const tickets = fakeTicketInventory();
  const payments = fakePaymentProvider();
  const ran = new Set<string>();
  return {
    ran,
    tickets: {
      async hold(ticketId) {
        ran.add("reserveTicket");
        const holdId = await tickets.hold(ticketId);
        say(`  ${column("reserveTicket")} runs: ticket ${ticketId} held (${holdId})`);
        return holdId;
      },
      async release(holdId) {
        ran.add("releaseReservation");
        say(`  ${column("releaseReservation")} runs: ${holdId} released`);
        await tickets.release(holdId);
      },
    },
    payments: {
      async charge(request) {
        ran.add("processPayment");
        say(`  ${column("processPayment")} runs: charging ${euros(request.cents)} to the card...`);
        onPayment();
        const receipt = await payments.charge(request);
        say(`  ${column("processPayment")} done: receipt ${receipt.receiptId}`);
        return receipt;
      },
    },
  };
}

/** Process 1: starts the checkout and dies in the payment step, after the reservation's checkpoint. */
async function crashingProcess(): Promise<void> {
  const services = observedServices(() => {
    say("  process 1 kills itself (SIGKILL) in the middle of the payment step.");
    process.kill(process.pid, "SIGKILL");
  });
  const checkout = createCheckout(services);
  const engine = createEngine({ store: createPgliteStore({ dataDir }), workflows: [checkout] });
  await engine.launch();
  say(`Process 1 (pid ${process.pid}) starts checkout "${orderId}" for ticket ${order.ticketId}.`);
  await engine.run(checkout, order, { id: orderId });
  throw new Error("process 1 should not have survived the payment step");
}

/** Process 2: launches on the same data, recovers the checkout, and tells what happened. */
async function recoveringProcess(): Promise<void> {
  const services = observedServices(() => undefined);
  const checkout = createCheckout(services);
  const store = createPgliteStore({ dataDir });
  const engine = createEngine({ store, workflows: [checkout] });
  say(`Process 2 (pid ${process.pid}) launches the engine on the same data directory.`);
  const { recovered } = await engine.launch();
  try {
    const result = await engine.retrieve<CheckoutResult>(orderId).result();
    say();
    say(`engine.launch() resumed ${JSON.stringify(recovered)}. Step by step:`);
    for (const { name } of await store.listSteps(orderId)) {
      say(
        services.ran.has(name)
          ? `  ${column(name)} EXECUTED in process 2 (no checkpoint: process 1 died inside it)`
          : `  ${column(name)} SKIPPED: resumed from the checkpoint process 1 wrote`,
      );
    }
    say(`Result: ${JSON.stringify(result)}`);
    if (result.status !== "confirmed") process.exitCode = 1;
  } finally {
    await engine.shutdown();
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
  rmSync(`${dataDir}.lock`, { force: true });
  say("Cairn demo: a ticket checkout that survives kill -9 (embedded PGlite, no server).");
  say();
  const first = await runAs("crash");
  if (first.signal !== "SIGKILL")
    throw new Error(`process 1 ended with ${first.signal ?? first.code}`);
  say("Process 1 is dead: the reservation's checkpoint is on disk, the payment has none.");
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
