/**
 * Several real processes on one Postgres schema (`crash/multi-worker.ts`), killed with SIGKILL or
 * frozen with SIGSTOP: a dead owner's workflows are each taken over by exactly one of three
 * survivors; a paused owner's late checkpoint write is refused once another executor took over;
 * a restart with the same executor ID resumes at once, long before the lease; another version's
 * workflows wait while an executor of that version is alive and are adopted (replaying the old
 * branch of a patch) once none is; retention deletes old finished workflows and their steps.
 * Step bodies record effect rows on their own connection, so the tests count how often each
 * body really ran. Each test has its own schema on the shared server (skipped without one).
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { deserialize } from "@cairn/core";
import type postgres from "postgres";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import {
  effectsTable,
  type MpResult,
  type MultiWorkerConfig,
} from "./crash/multi-worker-protocol.js";
import {
  closeAllWorkers,
  spawnMultiWorker,
  type MultiWorker,
} from "./crash/multi-worker-process.js";
import { adminSql, databaseUrl, freshSchema, tempDir } from "./support/databases.js";

const STEPS = ["s1", "s2", "s3"];

describe.skipIf(!databaseUrl)("many processes on one Postgres", () => {
  let admin: postgres.Sql;
  let schema: string;
  let drop: () => Promise<void>;
  const dirs: (() => void)[] = [];

  beforeAll(() => {
    admin = adminSql();
  });
  afterAll(() => admin.end());

  /** A fresh schema with Cairn's tables (migrated by the first worker) and the effects table. */
  const freshDatabase = async () => {
    ({ schema, drop } = freshSchema(admin));
    await admin.unsafe(`create schema "${schema}"`);
    await admin.unsafe(
      `create table ${effectsTable(schema)} (
         id bigserial primary key, workflow_id text not null, step text not null,
         executor_id text not null, at timestamptz not null default clock_timestamp())`,
    );
  };
  afterEach(async () => {
    await closeAllWorkers();
    await drop?.();
    for (const remove of dirs.splice(0)) remove();
  });

  const worker = (config: Partial<MultiWorkerConfig>): MultiWorker =>
    spawnMultiWorker({
      url: databaseUrl ?? "",
      schema,
      leaseMs: 1_000,
      pollIntervalMs: 200,
      code: "v1",
      ...config,
    });
  const ready = async (...workers: MultiWorker[]) =>
    Promise.all(workers.map(async (w) => (await w.waitFor("ready")).executorId));

  const rows = <T extends Record<string, unknown>>(text: string, params: unknown[] = []) =>
    admin.unsafe<T[]>(text.replaceAll("{{schema}}", `"${schema}"`), params as never[]);
  const workflowRow = async (id: string) =>
    (
      await rows<{
        status: string;
        executor_id: string;
        owner_epoch: number;
        output: string | null;
      }>(
        `select status, executor_id, owner_epoch, output from {{schema}}.workflows where workflow_id = $1`,
        [id],
      )
    )[0];
  const waitForStatus = (ids: readonly string[], status: string, timeout = 30_000) =>
    vi.waitFor(
      async () => {
        const [row] = await rows<{ n: number }>(
          `select count(*)::int as n from {{schema}}.workflows
           where workflow_id = any($1) and status = $2`,
          [ids, status],
        );
        expect(row?.n).toBe(ids.length);
      },
      { timeout, interval: 100 },
    );
  /** Effects of `id`: executor per effect, grouped by step, in order. */
  const effectsOf = async (id: string) => {
    const list = await rows<{ step: string; executor_id: string }>(
      `select step, executor_id from {{schema}}.mp_effects where workflow_id = $1 order by id`,
      [id],
    );
    const byStep: Record<string, string[]> = {};
    for (const e of list) (byStep[e.step] ??= []).push(e.executor_id);
    return byStep;
  };
  const stepNames = async (id: string) =>
    (
      await rows<{ name: string }>(
        `select name from {{schema}}.steps where workflow_id = $1 order by position`,
        [id],
      )
    ).map((r) => r.name);
  const resultOf = async (id: string) =>
    deserialize<MpResult>((await workflowRow(id))?.output ?? "-1");

  it("a killed owner's workflows are each taken over by exactly one of three survivors", async () => {
    await freshDatabase();
    const ids = Array.from({ length: 50 }, (_, i) => `t-${i}`);
    const owner = worker({ executorId: "owner", start: ids, hold: { step: "s2" } });
    await ready(owner);
    await owner.waitForCount("hold", 50);
    const survivors = [worker({}), worker({}), worker({})];
    const survivorIds = await ready(...survivors);
    const epochsBefore = new Map(
      (
        await rows<{ workflow_id: string; owner_epoch: number }>(
          `select workflow_id, owner_epoch from {{schema}}.workflows`,
        )
      ).map((r) => [r.workflow_id, r.owner_epoch]),
    );
    await owner.kill();
    await waitForStatus(ids, "SUCCESS");

    const takers = new Map<string, number>();
    for (const id of ids) {
      const row = await workflowRow(id);
      expect(survivorIds).toContain(row?.executor_id);
      expect(row?.owner_epoch, `${id} claimed exactly once`).toBe((epochsBefore.get(id) ?? 0) + 1);
      const taker = row?.executor_id ?? "";
      takers.set(taker, (takers.get(taker) ?? 0) + 1);
      // s1 ran once (owner), s2 twice (the owner was inside it; then its one taker), s3 once.
      expect(await effectsOf(id)).toEqual({ s1: ["owner"], s2: ["owner", taker], s3: [taker] });
      expect(await stepNames(id)).toEqual(STEPS);
      expect((await resultOf(id)).by).toEqual(["owner", taker, taker]);
    }
    // No body ran after its step's checkpoint was written (same machine, same clock).
    const [late] = await rows<{ n: number }>(
      `select count(*)::int as n from {{schema}}.mp_effects e
       join {{schema}}.steps s on s.workflow_id = e.workflow_id and s.name = e.step
       where floor(extract(epoch from e.at) * 1000) > s.completed_at`,
    );
    expect(late?.n).toBe(0);
    expect([...takers.values()].reduce((a, b) => a + b, 0)).toBe(50);
    // Survivors claim in batches as they notice; every claim is one workflow to one survivor.
    const claimed = survivors.flatMap((s) =>
      s.markers.flatMap((m) => (m.kind === "takeover" ? m.claimed : [])),
    );
    expect(claimed.filter((id) => id.startsWith("t-")).sort()).toEqual([...ids].sort());
  });

  it("fences off a paused owner: after SIGCONT its late checkpoint write is refused", async () => {
    await freshDatabase();
    const dir = tempDir("mp-zombie");
    dirs.push(dir.remove);
    const releaseFile = join(dir.path, "release");
    // A long poll interval: the zombie learns it lost the workflow from its refused write.
    const zombie = worker({
      executorId: "zombie",
      pollIntervalMs: 60_000,
      start: ["z"],
      hold: { step: "s2", releaseFile },
    });
    await zombie.waitFor("hold", (m) => m.workflowId === "z");
    zombie.stop(); // SIGSTOP inside s2: no heartbeats, its step still "running"

    const survivor = worker({ executorId: "survivor" });
    await waitForStatus(["z"], "SUCCESS");
    expect(await resultOf("z")).toEqual({
      branch: "old",
      total: 111,
      by: ["zombie", "survivor", "survivor"],
    });

    writeFileSync(releaseFile, "");
    zombie.cont(); // SIGCONT: s2 returns and the zombie tries to record it
    await zombie.waitFor("fenced", (m) => m.workflowId === "z" && m.position === 1);
    await zombie.waitFor("log", (m) => m.message.includes("no longer owns workflow z"));

    expect(await stepNames("z")).toEqual(STEPS);
    expect(await effectsOf("z")).toEqual({
      s1: ["zombie"],
      s2: ["zombie", "survivor"],
      s3: ["survivor"],
    });
    expect(await resultOf("z")).toEqual({
      branch: "old",
      total: 111,
      by: ["zombie", "survivor", "survivor"],
    });
    expect((await workflowRow("z"))?.executor_id).toBe("survivor");
    expect(survivor.markers.some((m) => m.kind === "takeover" && m.claimed.includes("z"))).toBe(
      true,
    );
  });

  it("a restart with the same executor ID resumes its workflows at once, long before the lease", async () => {
    await freshDatabase();
    const leaseMs = 60_000;
    const first = worker({ executorId: "web-1", leaseMs, start: ["r"], hold: { step: "s2" } });
    await first.waitFor("hold", (m) => m.workflowId === "r");
    const bystander = worker({ executorId: "web-2", leaseMs });
    await ready(bystander);
    await first.kill();
    const restartedAt = Date.now();
    const again = worker({ executorId: "web-1", leaseMs });
    expect((await again.waitFor("ready")).recovered).toEqual(["r"]);
    await waitForStatus(["r"], "SUCCESS");
    expect(Date.now() - restartedAt).toBeLessThan(leaseMs); // it did not wait for the lease
    expect((await workflowRow("r"))?.executor_id).toBe("web-1");
    expect(await effectsOf("r")).toEqual({ s1: ["web-1"], s2: ["web-1", "web-1"], s3: ["web-1"] });
    // The bystander never claimed it: web-1's lease was valid throughout.
    expect(bystander.markers.some((m) => m.kind === "takeover" && m.claimed.includes("r"))).toBe(
      false,
    );
  });

  it("leaves v1 workflows to a live v1 executor, adopts them once none is alive, and replays the old branch", async () => {
    await freshDatabase();
    const oldOwner = worker({
      executorId: "v1-a",
      appVersion: "v1",
      start: ["old"],
      hold: { step: "s2" },
    });
    await oldOwner.waitFor("hold", (m) => m.workflowId === "old");
    // Alive on v1, but without mp.flow's code: it keeps v1 "live" and claims nothing.
    const v1Bystander = worker({ executorId: "v1-b", appVersion: "v1", code: "none" });
    const v2 = worker({ executorId: "v2-c", appVersion: "v2", code: "v2", start: ["new"] });
    await ready(v1Bystander, v2);
    await oldOwner.kill();

    // Wait until v1-a's lease is over and v2 has tried three takeovers since.
    const expiredAt = await vi.waitFor(
      async () => {
        const [row] = await rows<{ expired: boolean }>(
          `select heartbeat_at + lease_ms < floor(extract(epoch from clock_timestamp()) * 1000) as expired
           from {{schema}}.executors where executor_id = 'v1-a'`,
        );
        expect(row?.expired).toBe(true);
        return Date.now();
      },
      { timeout: 10_000, interval: 50 },
    );
    await v2.waitForCount("takeover", 3, (m) => m.at > expiredAt);
    expect(await workflowRow("old")).toMatchObject({ status: "PENDING", executor_id: "v1-a" });

    await v1Bystander.kill(); // now no live executor runs v1: "old" is orphaned
    await waitForStatus(["old", "new"], "SUCCESS");
    expect((await workflowRow("old"))?.executor_id).toBe("v2-c");
    expect(await resultOf("old")).toEqual({
      branch: "old",
      total: 111,
      by: ["v1-a", "v2-c", "v2-c"],
    });
    expect(await stepNames("old")).toEqual(STEPS);
    expect(await resultOf("new")).toEqual({
      branch: "new",
      total: 1011,
      by: ["v2-c", "v2-c", "v2-c"],
    });
    expect(await stepNames("new")).toEqual(["cairn.patch:bonus", "s1", "s2", "s3b"]);
  });

  it("retention deletes finished workflows and their steps once old enough, keeping unfinished ones", async () => {
    await freshDatabase();
    const keeper = worker({
      start: ["done-1", "done-2", "running"],
      hold: { step: "s2", workflowIds: ["running"] },
      retention: { finishedOlderThanMs: 300, intervalMs: 100 },
    });
    await keeper.waitFor("hold", (m) => m.workflowId === "running");
    await waitForStatus(["done-1", "done-2"], "SUCCESS");
    await vi.waitFor(
      async () => {
        const [row] = await rows<{ workflows: number; steps: number }>(
          `select (select count(*)::int from {{schema}}.workflows where workflow_id like 'done-%') as workflows,
                  (select count(*)::int from {{schema}}.steps where workflow_id like 'done-%') as steps`,
        );
        expect(row).toEqual({ workflows: 0, steps: 0 });
      },
      { timeout: 10_000, interval: 100 },
    );
    expect((await workflowRow("running"))?.status).toBe("PENDING");
    expect(await stepNames("running")).toEqual(["s1"]);
  });
});
