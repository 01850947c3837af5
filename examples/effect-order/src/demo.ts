/**
 * `pnpm demo:effect`: an Effect workflow survives kill -9. Run without arguments, this script
 * narrates: it wipes `./.cairn-demo` (an embedded PGlite database), runs itself as process 1,
 * which starts an order whose card is declined and SIGKILLs itself while the compensation
 * (releasing the stock) runs, then as process 2, which builds the engine's layer on the same data.
 * The engine recovers the order: the recorded steps are not run again, the recorded decline comes
 * back as a `PaymentDeclined` so the same `tapError` branch compensates, and the caller's
 * `catchTag` sees the same typed failure it would have seen without the crash.
 */
import { spawn } from "node:child_process";
import { rmSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { CairnEngine } from "@cairn/effect";
import { createPgliteStore } from "@cairn/pg-store";
import { Effect, Layer } from "effect";
import { placeOrder, type Order } from "./order.js";
import { cards, InventoryLive, PaymentGatewayLive } from "./services.js";

/** `CAIRN_DEMO_DATA_DIR` lets the smoke test use a temporary directory. */
const dataDir =
  process.env["CAIRN_DEMO_DATA_DIR"] ?? fileURLToPath(new URL("../.cairn-demo", import.meta.url));
const declined: Order = { orderId: "A-1", sku: "lamp", card: cards.declined, cents: 4900 };
const accepted: Order = { orderId: "A-2", sku: "desk", card: cards.ok, cents: 12900 };

/** The engine, with the services its workflow needs; `onRelease` runs inside the release step. */
const engineLayer = (onRelease?: () => void) =>
  CairnEngine.layer({ store: () => createPgliteStore({ dataDir }), workflows: [placeOrder] }).pipe(
    Layer.provide(Layer.mergeAll(InventoryLive(onRelease), PaymentGatewayLive)),
  );

/** Runs an order and tells how it ended, typed failures included. */
const report = (order: Order) =>
  CairnEngine.use((engine) => engine.run(placeOrder, order, { id: order.orderId })).pipe(
    Effect.map((result) => `order ${order.orderId}: paid (${result.receipt}), ${result.parcel}`),
    Effect.catchTag("PaymentDeclined", (e) =>
      Effect.succeed(
        `order ${order.orderId}: refused, PaymentDeclined (${e.reason}), stock released`,
      ),
    ),
    Effect.catchTag("OutOfStock", (e) =>
      Effect.succeed(`order ${order.orderId}: ${e.sku} is sold out`),
    ),
    Effect.flatMap((line) => Effect.sync(() => console.log(`Result: ${line}`))),
  );

/** Process 1: the decline is recorded, then the process dies inside the compensation. */
const crashingProcess = Effect.gen(function* () {
  console.log(
    `Process 1 (pid ${process.pid}) places order ${declined.orderId} with a card that will be declined.`,
  );
  yield* report(declined);
}).pipe(
  Effect.provide(
    engineLayer(() => {
      console.log("  process 1 kills itself (SIGKILL) in the middle of releasing the stock.");
      process.kill(process.pid, "SIGKILL");
    }),
  ),
);

/** Process 2: the layer's engine recovers the order at launch; then a second order runs. */
const recoveringProcess = Effect.gen(function* () {
  console.log(
    `Process 2 (pid ${process.pid}) builds the engine layer on the same data; it recovers ${declined.orderId}.`,
  );
  console.log("  (reserveStock and charge were recorded by process 1: they do not run again)");
  yield* report(declined);
  console.log(`Process 2 places order ${accepted.orderId} with a good card.`);
  yield* report(accepted);
}).pipe(Effect.provide(engineLayer()));

function runSelf(role: string): Promise<number | null> {
  const child = spawn(process.execPath, ["--import", "tsx", fileURLToPath(import.meta.url), role], {
    stdio: "inherit",
    env: { ...process.env, CAIRN_DEMO_DATA_DIR: dataDir },
  });
  return new Promise((resolve) =>
    child.on("close", (code, signal) => resolve(signal ? 137 : code)),
  );
}

async function narrate(): Promise<void> {
  rmSync(dataDir, { recursive: true, force: true });
  const first = await runSelf("crash");
  console.log(`Process 1 is gone (exit ${first}). Starting process 2.\n`);
  const second = await runSelf("recover");
  process.exitCode = second ?? 1;
}

const role = process.argv[2];
if (role === "crash") await Effect.runPromise(crashingProcess);
else if (role === "recover") await Effect.runPromise(recoveringProcess);
else await narrate();
