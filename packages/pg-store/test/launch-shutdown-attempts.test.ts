/**
 * A process shut down during every launch, on Postgres: each launch's counted claim is held (at
 * the store's seam) until its shutdown began, so the launch leaves the workflow unrun and gives
 * the attempt back. Three such launches of a workflow allowed one recovery attempt, then one that
 * runs: it runs and succeeds instead of having been dead-lettered by launches that never ran it.
 */
import { createEngine, workflow, type LaunchClaim, type WorkflowStore } from "@cairn/core";
import type postgres from "postgres";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { createPgStore } from "../src/index.js";
import { adminSql, databaseUrl, freshSchema } from "./support/databases.js";

let runs = 0;
const left = workflow({ name: "left", maxRecoveryAttempts: 1 }, async () => {
  runs++;
  return "ran";
});

/** A promise a test opens by hand. */
function gate(): { wait: Promise<void>; open: () => void } {
  let open!: () => void;
  const wait = new Promise<void>((resolve) => (open = resolve));
  return { wait, open };
}

const quiet = { debug() {}, info() {}, warn() {}, error() {} };

describe.skipIf(!databaseUrl)("shutdowns during launch on Postgres", () => {
  let admin: postgres.Sql;
  let schema: { schema: string; drop: () => Promise<void> };
  beforeAll(() => {
    admin = adminSql();
  });
  afterAll(() => admin.end());
  afterEach(() => schema.drop());

  it("do not dead-letter a workflow none of them ran", async () => {
    schema = freshSchema(admin);
    const open = () => createPgStore({ url: databaseUrl, schema: schema.schema, max: 2 });
    const seed = open();
    await seed.migrate();
    // PENDING for e1, as a process that died mid-run left it.
    await seed.createWorkflow({
      workflowId: "left-1",
      name: "left",
      input: "-1",
      executorId: "e1",
    });

    for (let launch = 0; launch < 3; launch++) {
      const store = open();
      const held = gate();
      const entered = gate();
      const watched: WorkflowStore = {
        ...store,
        async claimRecoverable(claim: LaunchClaim) {
          if (claim.countAttempts !== false) {
            entered.open();
            await held.wait;
          }
          return store.claimRecoverable(claim);
        },
      };
      const engine = createEngine({
        store: watched,
        workflows: [left],
        executorId: "e1",
        logger: quiet,
      });
      const launching = engine.launch().catch((error: unknown) => error);
      await entered.wait; // the counted claim is under way
      const shutting = engine.shutdown();
      held.open();
      await Promise.all([launching, shutting]);
      expect(await seed.getWorkflow("left-1")).toMatchObject({
        status: "PENDING",
        recoveryAttempts: 0,
      });
    }
    expect(runs).toBe(0);

    const engine = createEngine({
      store: open(),
      workflows: [left],
      executorId: "e1",
      logger: quiet,
    });
    const report = await engine.launch();
    expect(report.deadLettered).toEqual([]);
    await expect(engine.retrieve("left-1").result()).resolves.toBe("ran");
    await engine.shutdown();
    expect(runs).toBe(1);
    await seed.close();
  });
});
