/**
 * The client in a separate process: `client/client-program.ts` runs as its own Node process with
 * no workflow code and no engine — only `createClient`, the store and the workflows' types — and
 * starts a workflow by name, sends it a message, awaits its result, lists it and cancels another,
 * all run by the engine in this test process; `client/queue-client-program.ts` enqueues and
 * debounces on a queue this test's engine serves. Postgres only: PGlite allows one process per data
 * directory, so two processes cannot share one (a client process needs a real server).
 */
import { createEngine, WorkflowCancelledError, type Engine } from "@cairn/core";
import { createQueues, defineQueue } from "@cairn/queue";
import type postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createPgStore } from "../src/index.js";
import { createPgQueueStore } from "../src/queue/index.js";
import type { ClientProgramConfig, ClientProgramMarker } from "./client/client-program.js";
import { greeter, mailer, sleeper } from "./client/client-workflows.js";
import type {
  QueueClientProgramConfig,
  QueueClientProgramMarker,
} from "./client/queue-client-program.js";
import { spawnMarked } from "./crash/marked-process.js";
import { adminSql, databaseUrl, freshSchema } from "./support/databases.js";

const program = new URL("./client/client-program.ts", import.meta.url);
const queueProgram = new URL("./client/queue-client-program.ts", import.meta.url);
const mail = defineQueue("mail", { concurrency: 2 });

describe.skipIf(!databaseUrl)("a client in a separate process, on Postgres", () => {
  let admin: postgres.Sql;
  let schema: string;
  let drop: () => Promise<void>;
  let engine: Engine;
  beforeAll(async () => {
    admin = adminSql();
    ({ schema, drop } = freshSchema(admin));
    const store = createPgStore({ url: databaseUrl, schema });
    engine = createEngine({
      store,
      workflows: [greeter, sleeper, mailer],
      executorId: "test-engine",
      plugins: [createQueues({ store: createPgQueueStore(store), serve: [mail] })],
    });
    await engine.launch();
  });
  afterAll(async () => {
    await engine.shutdown();
    await drop();
    await admin.end();
  });

  it("starts, messages, awaits, lists and cancels workflows it has no code for", async () => {
    const sleeping = await engine.start(sleeper, undefined, { id: "sleeper" });
    const config: ClientProgramConfig = {
      url: databaseUrl ?? "",
      schema,
      executorId: "test-engine",
      greeterId: "greeter",
      sleeperId: "sleeper",
    };

    const client = spawnMarked<ClientProgramMarker>(program, config);
    const exit = await client.exited;
    expect(exit, client.output()).toEqual({ code: 0, signal: null });
    const seen = await client.waitFor("RESULT");

    // The greeter ran here, in the engine's process, woken by the other process's message.
    expect(seen.result).toEqual({ text: "Hello, Ada", ranIn: process.pid });
    expect(seen.pid).not.toBe(process.pid);
    expect(seen.listed).toEqual([{ workflowId: "greeter", status: "SUCCESS" }]);
    expect(seen.cancelled).toEqual(["sleeper"]);
    expect(seen.sleeperStatus).toBe("CANCELLED");
    // The cancel reached the sleeping run in this process.
    await expect(sleeping.result()).rejects.toBeInstanceOf(WorkflowCancelledError);
  });

  it("enqueues and debounces by name from a process with no engine and no workflow code", async () => {
    const config: QueueClientProgramConfig = { url: databaseUrl ?? "", schema, queueName: "mail" };
    const client = spawnMarked<QueueClientProgramMarker>(queueProgram, config);
    const exit = await client.exited;
    expect(exit, client.output()).toEqual({ code: 0, signal: null });
    const seen = await client.waitFor("RESULT");
    expect(seen.pid).not.toBe(process.pid);
    // Both ran here, in the engine that serves the queue.
    expect(seen.enqueued).toEqual({ sent: "ada@example.com", ranIn: process.pid });
    expect(seen.debounced).toEqual({ sent: "b3", ranIn: process.pid });
    expect(new Set(seen.debouncedIds).size).toBe(1); // three calls, one run
    const runs = await engine.listWorkflows({ name: "client.mailer" });
    expect(runs.map((r) => r.queueName)).toEqual(["mail", "mail"]);
  });
});
