/**
 * The client in a separate process: `client/client-program.ts` runs as its own Node process with
 * no workflow code and no engine — only `createClient`, the store and the workflows' types — and
 * starts a workflow by name, sends it a message, awaits its result, lists it and cancels another,
 * all run by the engine in this test process. Postgres only: PGlite allows one process per data
 * directory, so two processes cannot share one (a client process needs a real server).
 */
import { createEngine, WorkflowCancelledError, type Engine } from "@cairn/core";
import type postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createPgStore } from "../src/index.js";
import type { ClientProgramConfig, ClientProgramMarker } from "./client/client-program.js";
import { greeter, sleeper } from "./client/client-workflows.js";
import { spawnMarked } from "./crash/marked-process.js";
import { adminSql, databaseUrl, freshSchema } from "./support/databases.js";

const program = new URL("./client/client-program.ts", import.meta.url);

describe.skipIf(!databaseUrl)("a client in a separate process, on Postgres", () => {
  let admin: postgres.Sql;
  let schema: string;
  let drop: () => Promise<void>;
  let engine: Engine;
  beforeAll(async () => {
    admin = adminSql();
    ({ schema, drop } = freshSchema(admin));
    engine = createEngine({
      store: createPgStore({ url: databaseUrl, schema }),
      workflows: [greeter, sleeper],
      executorId: "test-engine",
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
});
