/**
 * Kill -9 while workflows are suspended (decision 0014), on a real Postgres: a child process
 * (`crash/suspension-worker.ts`) starts workflows that suspend in `ctx.sleep`, `ctx.recv`, and
 * both awaited together (pairs: one suspension for the message and the due time), and
 * is SIGKILLed once every one has left memory. Then (a) the same executor relaunched, or (b)
 * another engine once the dead one's lease ran out, claims them (they move to it suspended) and
 * brings each back when due: each sleeper goes past its sleep once, never before its
 * checkpointed wake-up time; each receiver gets its message once, whether it was sent while no
 * process ran or after the new process claimed it; each pair goes past both, once, never before
 * its sleep's wake-up time. The side
 * effect after each wait is a row written by its own statement, so the count is what really ran.
 */
import { createClient } from "@cairn/core";
import type postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createPgStore } from "../src/index.js";
import { spawnMarked, type MarkedProcess } from "./crash/marked-process.js";
import type { SuspensionMarker, SuspensionWorkerConfig } from "./crash/suspension-worker.js";
import { adminSql, databaseUrl, freshSchema } from "./support/databases.js";

/** Polls `condition` until it holds; the test's timeout bounds it. */
async function until(condition: () => Promise<boolean>): Promise<void> {
  while (!(await condition())) await new Promise((resolve) => setTimeout(resolve, 50));
}

const worker = new URL("./crash/suspension-worker.ts", import.meta.url);
type Worker = MarkedProcess<SuspensionMarker>;

const sleepers = ["sleeper-1", "sleeper-2", "sleeper-3"];
const receivers = ["receiver-1", "receiver-2", "receiver-3", "receiver-4"];
const pairs = ["pair-1", "pair-2"];
/** What waits for a message: half get it while no process runs, half after the claim. */
const messaged = [...receivers, ...pairs];
const early = ["receiver-1", "receiver-2", "pair-1"];
const late = ["receiver-3", "receiver-4", "pair-2"];
const everyone = [...sleepers, ...messaged];

describe.skipIf(!databaseUrl)("SIGKILL while workflows are suspended (Postgres)", () => {
  let admin: postgres.Sql;
  beforeAll(() => {
    admin = adminSql();
  });
  afterAll(() => admin.end());

  /** One scenario's schema, a client-side store, and what to read from them. */
  function scenario() {
    const { schema, drop } = freshSchema(admin);
    const url = databaseUrl ?? "";
    const config = (patch: Partial<SuspensionWorkerConfig>): SuspensionWorkerConfig => ({
      url,
      schema,
      executorId: "exec-a",
      start: { sleepers: [], receivers: [] },
      sleepMs: 4_000,
      awaitIds: [],
      leaseMs: 30_000,
      ...patch,
    });
    const q = (sql: string) => admin.unsafe(sql.replaceAll("{{schema}}", `"${schema}"`));
    return {
      config,
      /** Workflows whose suspension is in force, by ID. */
      suspended: async () =>
        (
          await q(`select workflow_id from {{schema}}.workflows
                   where status = 'PENDING' and wake_epoch = owner_epoch order by workflow_id`)
        ).map((r) => r.workflow_id as string),
      /** The executor of each workflow of `ids`. */
      owners: async (ids: readonly string[]) =>
        (
          await q(`select executor_id from {{schema}}.workflows
                   where workflow_id in (${ids.map((id) => `'${id}'`).join(", ")})`)
        ).map((r) => r.executor_id as string),
      /** How many times each workflow went past its wait, and in which process. */
      effects: async () =>
        (await q(`select workflow_id, pid, at from {{schema}}.suspension_effects`)).map((r) => ({
          workflowId: r.workflow_id as string,
          pid: Number(r.pid),
          at: Number(r.at),
        })),
      /** Each sleeper's checkpointed wake-up time. */
      wakeAts: async () =>
        new Map(
          (
            await q(`select workflow_id, output from {{schema}}.steps where name = 'cairn.sleep'`)
          ).map((r) => [r.workflow_id as string, Number(JSON.parse(r.output as string))]),
        ),
      client: () => createClient({ store: createPgStore({ url, schema, max: 2 }) }),
      drop,
    };
  }

  /** Starts every workflow in a process, waits until each has suspended, and SIGKILLs it. */
  async function killWhileSuspended(
    s: ReturnType<typeof scenario>,
    executorId: string,
    leaseMs: number,
  ) {
    const first: Worker = spawnMarked(
      worker,
      s.config({ executorId, leaseMs, start: { sleepers, receivers, pairs } }),
    );
    for (const id of everyone) await first.waitFor("SUSPENDED", (m) => m.workflowId === id);
    const exit = await first.kill();
    expect(exit.signal, first.output()).toBe("SIGKILL");
    // On a slow machine a sleeper may have woken (and finished) before the kill; receivers and
    // pairs cannot, no message was sent. What was suspended at the kill must come back next.
    const atKill = await s.suspended();
    expect(atKill).toEqual(expect.arrayContaining(messaged));
    const finished = (await s.effects()).map((e) => e.workflowId);
    expect([...atKill, ...finished].sort()).toEqual([...everyone].sort());
    return { first, atKill };
  }

  /**
   * Each workflow went past its wait exactly once (those suspended at the kill, in `second`),
   * and no sleeper woke early.
   */
  async function expectEachOnce(
    s: ReturnType<typeof scenario>,
    killed: { first: Worker; atKill: string[] },
    second: Worker,
  ) {
    const done = await second.waitFor("DONE");
    expect(await second.exited, second.output()).toEqual({ code: 0, signal: null });
    expect(done.statuses).toEqual(Object.fromEntries(everyone.map((id) => [id, "SUCCESS"])));
    for (const id of messaged) expect(done.results[id]).toEqual({ message: `for ${id}` });
    const effects = await s.effects();
    expect(effects.map((e) => e.workflowId).sort()).toEqual([...everyone].sort());
    for (const effect of effects) {
      const by = killed.atKill.includes(effect.workflowId) ? second.pid : killed.first.pid;
      expect({ id: effect.workflowId, pid: effect.pid }).toEqual({
        id: effect.workflowId,
        pid: by,
      });
    }
    const wakeAts = await s.wakeAts();
    for (const effect of effects.filter((e) => !receivers.includes(e.workflowId))) {
      expect(effect.at).toBeGreaterThanOrEqual(wakeAts.get(effect.workflowId) ?? Infinity);
    }
    expect(await s.suspended()).toEqual([]);
  }

  it("the relaunched process wakes each sleeper when due and each receiver on its message, once", async () => {
    const s = scenario();
    try {
      const killed = await killWhileSuspended(s, "exec-restarted", 30_000);
      const client = s.client();
      // Two messages while no process runs: they make the dead process's suspensions due.
      for (const id of early) await client.send(id, "go", `for ${id}`);
      const second: Worker = spawnMarked(
        worker,
        s.config({ executorId: "exec-restarted", awaitIds: everyone }),
      );
      // The other two once the relaunched process has claimed them (still suspended).
      await second.waitFor("LAUNCHED");
      for (const id of late) await client.send(id, "go", `for ${id}`);
      await client.close();
      await expectEachOnce(s, killed, second);
    } finally {
      await s.drop();
    }
  });

  it("another engine takes them over when the lease runs out and wakes each once", async () => {
    const s = scenario();
    try {
      const killed = await killWhileSuspended(s, "exec-dead", 1_000);
      const client = s.client();
      for (const id of early) await client.send(id, "go", `for ${id}`);
      const other: Worker = spawnMarked(
        worker,
        s.config({ executorId: "exec-other", leaseMs: 1_000, awaitIds: everyone }),
      );
      // The others once the other engine took them over (they move suspended).
      await until(async () => (await s.owners(late)).every((owner) => owner === "exec-other"));
      for (const id of late) await client.send(id, "go", `for ${id}`);
      await client.close();
      await expectEachOnce(s, killed, other);
    } finally {
      await s.drop();
    }
  });
});
