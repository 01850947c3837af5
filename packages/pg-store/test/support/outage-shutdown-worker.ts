// Child process for outage.test.ts: an engine on Postgres through the test's proxy runs a step
// that never finishes. It prints "running" once the step runs, shuts down when told on stdin,
// prints "shut down", and then must exit by itself: a socket or timer left behind would keep it
// alive.
import { createInterface } from "node:readline";
import { createEngine, step, workflow } from "@cairn/core";
import { createPgStore } from "../../src/index.js";

const [url, schema] = process.argv.slice(2);
const quiet = { debug() {}, info() {}, warn() {}, error() {} };
const store = createPgStore({ url, schema, max: 4 });
await store.migrate();
const endless = step("endless", () => {
  process.stdout.write("running\n");
  return new Promise<never>(() => undefined);
});
const flow = workflow("outage.flow", async (ctx) => {
  await ctx.recv("never", { timeoutMs: 0 }); // a wait first, so the LISTEN connection is open
  return endless(ctx);
});
const engine = createEngine({
  store,
  workflows: [flow],
  logger: quiet,
  shutdownGraceMs: 500,
  pollIntervalMs: 200,
});
await engine.launch();
await engine.start(flow, undefined, { id: "endless" });
const lines = createInterface({ input: process.stdin });
lines.once("line", () => {
  lines.close();
  process.stdin.destroy();
  void engine.shutdown().then(() => process.stdout.write("shut down\n"));
});
