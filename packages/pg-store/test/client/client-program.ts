/**
 * A separate process that drives workflows it does not have: it imports `createClient`, the
 * Postgres store and *types* only (no workflow code, no engine). Run as
 * `node --import tsx client-program.ts` by `client-process.test.ts`, it starts a greeter by name,
 * sends it a typed message, awaits its result, lists greeters, cancels a sleeper and prints what
 * it saw as one `RESULT` marker.
 */
import { createClient } from "@cairn/core";
import { createPgStore } from "../../src/index.js";
import { printMarker, programConfig } from "../crash/marked-process.js";
import type { greeter } from "./client-workflows.js";

/** What the test tells the program. */
export interface ClientProgramConfig {
  readonly url: string;
  readonly schema: string;
  /** The executor that runs the workflows (the test's engine). */
  readonly executorId: string;
  readonly greeterId: string;
  readonly sleeperId: string;
}

/** What the program prints. */
export interface ClientProgramMarker {
  readonly kind: "RESULT";
  readonly pid: number;
  readonly result: { readonly text: string; readonly ranIn: number };
  readonly listed: readonly { readonly workflowId: string; readonly status: string }[];
  readonly cancelled: readonly string[];
  readonly sleeperStatus: string;
}

async function main(): Promise<void> {
  const config = programConfig<ClientProgramConfig>();
  const client = createClient({ store: createPgStore({ url: config.url, schema: config.schema }) });
  try {
    const handle = await client.start<typeof greeter>("client.greeter", "Ada", {
      id: config.greeterId,
      executorId: config.executorId,
    });
    await handle.send("greeting", "Hello");
    const result = await handle.result();
    const listed = await client.listWorkflows({ name: "client.greeter" });
    const cancelled = await client.cancel(config.sleeperId);
    const sleeper = await client.retrieve(config.sleeperId).status();
    printMarker({
      kind: "RESULT",
      pid: process.pid,
      result,
      listed: listed.map((w) => ({ workflowId: w.workflowId, status: w.status })),
      cancelled,
      sleeperStatus: sleeper.status,
    } satisfies ClientProgramMarker);
  } finally {
    await client.close();
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
