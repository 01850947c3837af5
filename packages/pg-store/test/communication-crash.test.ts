/**
 * Kill -9 while a workflow waits for a message: a real child process
 * (`crash/communication-worker.ts`) runs a workflow blocked in `ctx.recv("x", { timeoutMs })` and
 * is SIGKILLed there. (a) A client sends the message while no engine runs; the relaunched process
 * consumes it exactly once: it is the recv's checkpoint, the messages table holds it consumed and
 * nothing else, and a second recv finds nothing. (b) With no message, the relaunch keeps the
 * deadline the killed process checkpointed and times the recv out there, not a full timeout
 * after the relaunch. Same scenarios on Postgres (skipped without a server) and on a PGlite data
 * directory (which one process at a time may open: the test opens it only between workers).
 */
import { createClient, type WorkflowStore } from "@cairn/core";
import { PGlite } from "@electric-sql/pglite";
import type postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createPgStore, createPgliteStore } from "../src/index.js";
import type {
  CommunicationMarker,
  CommunicationStoreConfig,
  CommunicationWorkerConfig,
} from "./crash/communication-worker.js";
import { spawnMarked, type MarkedProcess } from "./crash/marked-process.js";
import {
  adminSql,
  copyPgliteTemplate,
  databaseUrl,
  freshSchema,
  tempDir,
} from "./support/databases.js";

const worker = new URL("./crash/communication-worker.ts", import.meta.url);

interface Backend {
  readonly store: CommunicationStoreConfig;
  /** A store for the test process, to play the client while no worker runs. */
  openStore(): WorkflowStore;
  /** Rows of `{{schema}}.messages`, read while no worker runs. */
  messages(): Promise<{ message_id: string; consumed: boolean }[]>;
  cleanup(): Promise<void>;
}

const MESSAGES = `select message_id, consumed_at is not null as consumed
                  from {{schema}}.messages order by seq`;

function postgresBackend(url: string): Backend {
  const admin: postgres.Sql = adminSql();
  const { schema, drop } = freshSchema(admin);
  return {
    store: { kind: "postgres", url, schema },
    openStore: () => createPgStore({ url, schema, max: 2 }),
    messages: async () =>
      (await admin.unsafe(MESSAGES.replace("{{schema}}", `"${schema}"`))) as unknown as {
        message_id: string;
        consumed: boolean;
      }[],
    cleanup: async () => {
      await drop();
      await admin.end();
    },
  };
}

function pgliteBackend(): Backend {
  const dir = tempDir("comm-crash");
  const dataDir = copyPgliteTemplate(dir.path);
  return {
    store: { kind: "pglite", dataDir },
    openStore: () => createPgliteStore({ dataDir }),
    messages: async () => {
      const db = await PGlite.create({ dataDir });
      try {
        const rows = await db.query<{ message_id: string; consumed: boolean }>(
          MESSAGES.replace("{{schema}}", "cairn"),
        );
        return rows.rows;
      } finally {
        await db.close();
      }
    },
    cleanup: () => Promise.resolve(dir.remove()),
  };
}

const backends: readonly { name: string; skip: boolean; open: () => Backend }[] = [
  { name: "Postgres", skip: !databaseUrl, open: () => postgresBackend(databaseUrl ?? "") },
  { name: "PGlite", skip: false, open: pgliteBackend },
];

type Worker = MarkedProcess<CommunicationMarker>;

for (const { name, skip, open } of backends) {
  describe.skipIf(skip)(`SIGKILL during recv on ${name}`, () => {
    let backend: Backend;
    beforeAll(() => {
      backend = open();
    });
    afterAll(() => backend.cleanup());

    const config = (
      workflowId: string,
      mode: "start" | "recover",
      timeoutMs: number,
    ): CommunicationWorkerConfig => ({
      store: backend.store,
      executorId: `executor-${workflowId}`,
      mode,
      workflowId,
      timeoutMs,
    });

    /** Starts the workflow, waits until its recv waits, and SIGKILLs the process there. */
    const killWhileWaiting = async (workflowId: string, timeoutMs: number) => {
      const first: Worker = spawnMarked(worker, config(workflowId, "start", timeoutMs));
      await first.waitFor("RECV_WAITING", (m) => m.workflowId === workflowId);
      const deadline = await first.waitFor(
        "CHECKPOINT",
        (m) => m.workflowId === workflowId && m.name === "cairn.recv.deadline",
      );
      const exit = await first.kill();
      expect(exit.signal, first.output()).toBe("SIGKILL");
      return { first, deadline: deadline.output as number };
    };

    /** Relaunches with the same executor ID and waits for the recovered run's report. */
    const recover = async (workflowId: string, timeoutMs: number) => {
      const second: Worker = spawnMarked(worker, config(workflowId, "recover", timeoutMs));
      const exit = await second.exited;
      expect(exit, second.output()).toEqual({ code: 0, signal: null });
      return {
        second,
        launching: await second.waitFor("LAUNCHING"),
        launched: await second.waitFor("LAUNCHED"),
        report: await second.waitFor("REPORT"),
      };
    };

    it("consumes a message sent while the process was down exactly once after the relaunch", async () => {
      const { first } = await killWhileWaiting("sent-while-down", 3_600_000);
      expect(first.markers.some((m) => m.kind === "CHECKPOINT" && m.name === "cairn.recv")).toBe(
        false,
      );

      const client = createClient({ store: backend.openStore() });
      await client.send("sent-while-down", "x", "hello", { idempotencyKey: "once" });
      await client.send("sent-while-down", "x", "hello", { idempotencyKey: "once" });
      await client.close();
      expect(await backend.messages()).toEqual([
        { message_id: expect.stringContaining("once") as unknown, consumed: false },
      ]);

      const { second, launched, report } = await recover("sent-while-down", 3_600_000);

      expect(launched.recovered).toEqual(["sent-while-down"]);
      expect(report).toMatchObject({
        status: "SUCCESS",
        result: { first: "hello", second: null },
      });
      expect(report.steps.map((s) => [s.name, s.output])).toEqual([
        ["cairn.recv.deadline", expect.any(Number)],
        ["cairn.recv", "hello"],
        ["cairn.recv.deadline", expect.any(Number)],
        ["cairn.recv", undefined],
      ]);
      // The relaunch took the message in one transaction with its checkpoint...
      const consumedBy = second.markers.filter((m) => m.kind === "CHECKPOINT" && m.position === 1);
      expect(consumedBy).toMatchObject([{ name: "cairn.recv", output: "hello" }]);
      // ...and the table holds it once, consumed; nothing else waits.
      expect(await backend.messages()).toEqual([
        { message_id: expect.stringContaining("once") as unknown, consumed: true },
      ]);
    });

    it("keeps the checkpointed deadline across the kill and times out there, not later", async () => {
      const timeoutMs = 4_000;
      const { deadline } = await killWhileWaiting("deadline-kept", timeoutMs);

      const { launching, launched, report } = await recover("deadline-kept", timeoutMs);

      expect(launched.recovered).toEqual(["deadline-kept"]);
      expect(report).toMatchObject({
        status: "SUCCESS",
        result: { first: null, second: null },
      });
      const [recordedDeadline, recv] = report.steps;
      expect(recordedDeadline).toMatchObject({ name: "cairn.recv.deadline", output: deadline });
      expect(recv?.name).toBe("cairn.recv");
      // The deadline was taken before the kill, on the same machine clock as `launching.at`.
      // That the wait uses the recorded deadline rather than a new one is proven on a fake clock
      // (core's communication.test.ts); comparing the database's completedAt with it would
      // compare two clocks.
      expect(deadline).toBeLessThan(launching.at + timeoutMs);
    });
  });
}
