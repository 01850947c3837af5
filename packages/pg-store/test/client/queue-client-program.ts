/**
 * A separate process that enqueues workflows it does not have: it imports `createClient`,
 * `withQueues`, the stores and *types* only (no workflow code, no engine). Run by
 * `client-process.test.ts`, it enqueues a mailer by name, debounces three calls into one run,
 * awaits both results and prints what it saw as one `RESULT` marker.
 */
import { createClient } from "@cairn/core";
import { withQueues } from "@cairn/queue";
import { createPgStore } from "../../src/index.js";
import { createPgQueueStore } from "../../src/queue/index.js";
import { printMarker, programConfig } from "../crash/marked-process.js";
import type { mailer } from "./client-workflows.js";

/** What the test tells the program. */
export interface QueueClientProgramConfig {
  readonly url: string;
  readonly schema: string;
  readonly queueName: string;
}

/** What the program prints. */
export interface QueueClientProgramMarker {
  readonly kind: "RESULT";
  readonly pid: number;
  readonly enqueued: { readonly sent: string; readonly ranIn: number };
  readonly debounced: { readonly sent: string; readonly ranIn: number };
  readonly debouncedIds: readonly string[];
}

async function main(): Promise<void> {
  const config = programConfig<QueueClientProgramConfig>();
  const store = createPgStore({ url: config.url, schema: config.schema });
  const client = withQueues(createClient({ store }), createPgQueueStore(store));
  try {
    const handle = await client.enqueue<typeof mailer>(config.queueName, "client.mailer", {
      to: "ada@example.com",
    });
    const bursts = [];
    for (const to of ["b1", "b2", "b3"]) {
      bursts.push(
        await client.debounce<typeof mailer>(
          config.queueName,
          "digest",
          "client.mailer",
          { to },
          {
            periodMs: 300,
          },
        ),
      );
    }
    const [last] = bursts.slice(-1);
    printMarker({
      kind: "RESULT",
      pid: process.pid,
      enqueued: await handle.result(),
      debounced: await (last ?? handle).result(),
      debouncedIds: bursts.map((b) => b.workflowId),
    } satisfies QueueClientProgramMarker);
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
