/**
 * A process that dies at every launch (kill -9), with room to run only some of its workflows:
 * each launch counts a recovery attempt only for the workflows it handed to a run. Those that
 * ran at every launch dead-letter after `maxRecoveryAttempts` launches (the crash-loop
 * protection); those that waited for room keep their count and run when a launch lets them.
 * The worker (`crash/launch-loop-worker.ts`) is a real child process on a real Postgres.
 */
import type postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createPgStore } from "../src/index.js";
import type { LaunchLoopMarker, LaunchLoopWorkerConfig } from "./crash/launch-loop-worker.js";
import { spawnMarked, type MarkedProcess } from "./crash/marked-process.js";
import { adminSql, databaseUrl, freshSchema } from "./support/databases.js";

/** Polls `condition` until it holds; the test's timeout bounds it. */
async function until(condition: () => boolean | Promise<boolean>): Promise<void> {
  while (!(await condition())) await new Promise((resolve) => setTimeout(resolve, 50));
}

const worker = new URL("./crash/launch-loop-worker.ts", import.meta.url);
type Worker = MarkedProcess<LaunchLoopMarker>;

const EXECUTOR = "crash-looper";
const WORKFLOW = "launch-loop.held";
const CAPACITY = 3;
const MAX_ATTEMPTS = 2;
/** Oldest first, the order recovery runs them in (none is another's child). */
const ids = Array.from({ length: 9 }, (_, n) => `wf-${n}`);

describe.skipIf(!databaseUrl)("a process killed at every launch (Postgres)", () => {
  let admin: postgres.Sql;
  let schema: string;
  let drop: () => Promise<void>;
  beforeAll(() => {
    admin = adminSql();
    ({ schema, drop } = freshSchema(admin));
  });
  afterAll(async () => {
    await drop();
    await admin.end();
  });

  const config = (hold: boolean): LaunchLoopWorkerConfig => ({
    url: databaseUrl ?? "",
    schema,
    executorId: EXECUTOR,
    workflowName: WORKFLOW,
    runCapacity: CAPACITY,
    maxRecoveryAttempts: MAX_ATTEMPTS,
    hold,
  });

  const rows = async () =>
    new Map(
      (
        await admin.unsafe(
          `select workflow_id, status, recovery_attempts from "${schema}".workflows`,
        )
      ).map((r) => [
        r.workflow_id as string,
        { status: r.status as string, attempts: Number(r.recovery_attempts) },
      ]),
    );

  it("dead-letters the workflows it ran at every launch and counts nothing for those that waited for room", async () => {
    const store = createPgStore({ url: databaseUrl ?? "", schema, max: 2 });
    try {
      await store.migrate();
      // PENDING for the executor, as a process that died mid-run left them.
      for (const workflowId of ids) {
        await store.createWorkflow({
          workflowId,
          name: WORKFLOW,
          input: "-1", // undefined, serialized
          executorId: EXECUTOR,
        });
        await new Promise((resolve) => setTimeout(resolve, 3)); // distinct creation times
      }
    } finally {
      await store.close();
    }

    const starts = new Map<string, number>();
    for (let launch = 1; launch <= MAX_ATTEMPTS + 1; launch++) {
      const process: Worker = spawnMarked(worker, config(true));
      await process.waitFor("LAUNCHED");
      // A full room each time: what the claim dead-lettered leaves room for the next ones.
      const pending = [...(await rows()).values()].filter((r) => r.status === "PENDING").length;
      const room = Math.min(CAPACITY, pending);
      await until(() => process.markers.filter((m) => m.kind === "STARTED").length >= room);
      const exit = await process.kill();
      expect(exit.signal, process.output()).toBe("SIGKILL");
      for (const marker of process.markers) {
        if (marker.kind !== "STARTED") continue;
        starts.set(marker.workflowId, (starts.get(marker.workflowId) ?? 0) + 1);
      }
    }

    const after = await rows();
    const ran = (id: string) => starts.get(id) ?? 0;
    // The first three ran at each of the first two launches; the third launch dead-lettered them
    // and ran the next three in their room.
    expect([...starts].sort()).toEqual([
      ["wf-0", 2],
      ["wf-1", 2],
      ["wf-2", 2],
      ["wf-3", 1],
      ["wf-4", 1],
      ["wf-5", 1],
    ]);
    for (const id of ids) {
      const row = after.get(id);
      if (ran(id) === MAX_ATTEMPTS) {
        expect(row, id).toEqual({ status: "DEAD_LETTER", attempts: MAX_ATTEMPTS + 1 });
      } else {
        // Counted once per launch that ran it, never for a launch it waited through.
        expect(row, id).toEqual({ status: "PENDING", attempts: ran(id) });
      }
    }

    // A launch that lives runs every one still PENDING to its end.
    const last: Worker = spawnMarked(worker, config(false));
    try {
      await last.waitFor("LAUNCHED");
      const living = ids.filter((id) => ran(id) < MAX_ATTEMPTS);
      await until(async () => {
        const now = await rows();
        return living.every((id) => now.get(id)?.status === "SUCCESS");
      });
    } finally {
      await last.kill();
    }
  });
});
