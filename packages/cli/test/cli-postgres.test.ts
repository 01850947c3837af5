/**
 * The built `cairn` binary against a real Postgres schema seeded by a real engine: listing with
 * filters and a cursor, showing a workflow with its children and step timeline, steering it
 * (cancel, resume, fork, send), reading events and streams (also following a live stream while
 * an engine writes it), queues, executors, migrations, and the one-line errors with their exit
 * codes. Skipped without a server unless CAIRN_REQUIRE_POSTGRES=1.
 */
import { createPgStore, type PgStore } from "@cairn/pg-store";
import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { cairn, cairnJson, startCairn } from "./support/cli.js";
import { ALL_WORKFLOWS, SEEDED, seedEngine, seedStore } from "./support/seed.js";

const databaseUrl = inject("databaseUrl");
const schema = `cli_${Math.random().toString(36).slice(2, 10)}`;

interface Listed {
  workflows: { workflowId: string; name: string; status: string; queueName: string | null }[];
  nextCursor: string | null;
}

describe.skipIf(!databaseUrl)("cairn on Postgres", () => {
  const url = databaseUrl ?? "";
  const on = (...args: string[]) => [...args, "--url", url, "--schema", schema];
  const openStore = (): PgStore => createPgStore({ url, schema, max: 4 });

  beforeAll(async () => {
    await seedStore(openStore());
  });

  afterAll(async () => {
    const admin = postgres(url, { max: 1, onnotice: () => {} });
    await admin.unsafe(`drop schema if exists "${schema}" cascade`);
    await admin.end();
  });

  it("lists workflows newest first as an aligned table", async () => {
    const run = await cairn(on("workflows", "list"));
    expect(run.code).toBe(0);
    const [header, ...rows] = run.stdout.trimEnd().split("\n");
    expect(header).toMatch(/^ID\s+NAME\s+STATUS\s+QUEUE\s+EXECUTOR\s+CREATED\s+DURATION$/);
    const statusColumn = header?.indexOf("STATUS") ?? -1;
    const byId = new Map(rows.map((row) => [row.split(/\s+/)[0], row]));
    expect(byId.get(SEEDED.succeeded)?.slice(statusColumn)).toMatch(/^SUCCESS\s/);
    expect(byId.get(SEEDED.failed)?.slice(statusColumn)).toMatch(/^ERROR\s/);
    expect(byId.get(SEEDED.waiting)?.slice(statusColumn)).toMatch(/^PENDING\s/);
    expect(rows[0]?.startsWith("report-queued")).toBe(true);
  });

  it("filters by status, name and queue, and prints JSON for scripts", async () => {
    const errors = await cairnJson<Listed>(on("workflows", "list", "--status", "error"));
    expect(errors.workflows.map((w) => w.workflowId)).toEqual([SEEDED.failed]);
    const shipped = await cairnJson<Listed>(on("workflows", "list", "--name", "shipItem"));
    expect(shipped.workflows.map((w) => w.workflowId).sort()).toEqual(
      [`${SEEDED.parent}:0`, `${SEEDED.parent}:1`].sort(),
    );
    const queued = await cairnJson<Listed>(
      on("workflows", "list", "--queue", "emails", "--status", "ENQUEUED,PENDING"),
    );
    expect(queued.workflows.map((w) => w.workflowId).sort()).toEqual([...SEEDED.queued].sort());
    const none = await cairnJson<Listed>(
      on("workflows", "list", "--since", "2000-01-01", "--until", "2000-01-02"),
    );
    expect(none.workflows).toEqual([]);
  });

  it("pages with --limit and --cursor without repeating or skipping a workflow", async () => {
    const all = await cairnJson<Listed>(on("workflows", "list", "--limit", "1000"));
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page: Listed = await cairnJson<Listed>(
        on("workflows", "list", "--limit", "3", ...(cursor ? ["--cursor", cursor] : [])),
      );
      seen.push(...page.workflows.map((w) => w.workflowId));
      cursor = page.nextCursor;
    } while (cursor);
    expect(seen).toEqual(all.workflows.map((w) => w.workflowId));
    expect(new Set(seen).size).toBe(seen.length);
    const human = await cairn(on("workflows", "list", "--limit", "2"));
    expect(human.stdout).toMatch(/more: --cursor \d+\.[A-Za-z0-9_-]+\n?$/);
    const bad = await cairn(on("workflows", "list", "--cursor", "12.%%"));
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("is not a cursor printed by a previous page");
  });

  it("finds runs by names, ID prefix, parent, top level and run times", async () => {
    const ids = async (...args: string[]) =>
      (await cairnJson<Listed>(on("workflows", "list", ...args))).workflows
        .map((w) => w.workflowId)
        .sort();
    expect(await ids("--name", "reserve,checkout")).toEqual(
      [SEEDED.failed, SEEDED.succeeded].sort(),
    );
    expect(await ids("--name", "reserve", "--name", "checkout")).toEqual(
      [SEEDED.failed, SEEDED.succeeded].sort(),
    );
    expect(await ids("--id-prefix", `${SEEDED.parent}:`)).toEqual(
      [`${SEEDED.parent}:0`, `${SEEDED.parent}:1`].sort(),
    );
    expect(await ids("--parent", SEEDED.parent)).toEqual(
      await ids("--id-prefix", `${SEEDED.parent}:`),
    );
    const topLevel = await ids("--top-level");
    expect(topLevel).toContain(SEEDED.parent);
    expect(topLevel).not.toContain(`${SEEDED.parent}:0`);
    expect(await ids("--completed-until", "2000-01-01")).toEqual([]);
    const finished = await ids("--completed-since", "1d", "--status", "SUCCESS,ERROR");
    expect(finished).toEqual(expect.arrayContaining([SEEDED.succeeded, SEEDED.failed]));
    expect(await ids("--started-since", "1d")).not.toContain("email-1"); // never started
    const [row] = (
      await cairnJson<{ workflows: Record<string, unknown>[] }>(
        on("workflows", "list", "--id-prefix", "email-1"),
      )
    ).workflows;
    expect(row).toMatchObject({ startedAt: null, completedAt: null, priority: 0, dedupId: null });
    const bad = await cairn(on("workflows", "list", "--completed-since", "yesterdayish"));
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("--completed-since");
  });

  it("sets attributes and finds workflows by them", async () => {
    const set = await cairnJson<{ attributes: unknown }>(
      on("workflows", "attributes", SEEDED.succeeded, '{"tenant":"acme","tier":1}'),
    );
    expect(set.attributes).toEqual({ tenant: "acme", tier: 1 });
    const merged = await cairn(
      on("workflows", "attributes", SEEDED.failed, '{"tenant":"acme"}', "--merge"),
    );
    expect(merged.stdout).toContain(`attributes of ${SEEDED.failed}: {"tenant":"acme"}`);
    const found = await cairnJson<Listed>(
      on("workflows", "list", "--attributes", '{"tenant":"acme"}'),
    );
    expect(found.workflows.map((w) => w.workflowId).sort()).toEqual(
      [SEEDED.failed, SEEDED.succeeded].sort(),
    );
    const tier = await cairnJson<Listed>(on("workflows", "list", "--attributes", '{"tier":1}'));
    expect(tier.workflows.map((w) => w.workflowId)).toEqual([SEEDED.succeeded]);
    const show = await cairn(on("workflows", "show", SEEDED.succeeded));
    const line = show.stdout.split("\n").find((l) => l.startsWith("Attributes")) ?? "";
    expect(JSON.parse(line.replace(/^Attributes\s+/, ""))).toEqual({ tenant: "acme", tier: 1 });
    const notJson = await cairn(on("workflows", "list", "--attributes", "tenant=acme"));
    expect(notJson.code).toBe(2);
    expect(notJson.stderr).toContain("--attributes is not valid JSON");
    const notObject = await cairn(on("workflows", "attributes", SEEDED.succeeded, "[1]"));
    expect(notObject.code).toBe(2);
    expect(notObject.stderr).toContain("must be a JSON object");
    const unknown = await cairn(on("workflows", "attributes", "nope", "{}"));
    expect(unknown.code).not.toBe(0);
  });

  it("shows a workflow: status, input, output, children and the step timeline with attempts", async () => {
    const run = await cairn(on("workflows", "show", SEEDED.succeeded));
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/Status\s+SUCCESS/);
    expect(run.stdout).toContain("amount: 4200");
    expect(run.stdout).toContain("ch_order-1001");
    expect(run.stdout).toMatch(/1\s+chargeCard\s+\+\S+\s+\S+\s+3\s/); // third attempt succeeded
    const parent = await cairnJson<{ children: { workflowId: string; status: string }[] }>(
      on("workflows", "show", SEEDED.parent),
    );
    expect(parent.children.map((c) => c.status)).toEqual(["SUCCESS", "SUCCESS"]);
    const failed = await cairnJson<{ status: string; error: { name: string; message: string } }>(
      on("workflows", "show", SEEDED.failed),
    );
    expect(failed.status).toBe("ERROR");
    expect(failed.error.message).toContain("out of stock");
  });

  it("prints the steps of a workflow as JSON with durations and attempts", async () => {
    const steps = await cairnJson<{ name: string; attempts: number; durationMs: number }[]>(
      on("workflows", "steps", SEEDED.succeeded),
    );
    expect(steps.map((s) => [s.name, s.attempts])).toEqual([
      ["lookUpCustomer", 1],
      ["chargeCard", 3],
    ]);
    expect(steps.every((s) => s.durationMs >= 0)).toBe(true);
  });

  it("reads events, messages and a closed stream", async () => {
    const channels = await cairnJson<{ events: { key: string; value: unknown }[] }>(
      on("workflows", "events", SEEDED.waiting),
    );
    expect(channels.events).toEqual([
      expect.objectContaining({ key: "stage", value: "waiting for a manager" }),
    ]);
    const lines = await cairn(on("workflows", "stream", SEEDED.report, "lines", "--json"));
    expect(lines.stdout.trim().split("\n")).toEqual(['"one"', '"two"', '"three"']);
    const follow = await cairn(on("workflows", "stream", SEEDED.report, "lines", "--follow"));
    expect(follow.code).toBe(0);
    expect(follow.stdout).toBe("'one'\n'two'\n'three'\n");
  });

  it("cancels and resumes many, reporting what it skipped and why", async () => {
    const cancel = await cairnJson<{ cancelled: string[]; skipped: unknown[] }>(
      on("workflows", "cancel", SEEDED.succeeded, "ghost"),
    );
    expect(cancel).toEqual({
      cancelled: [],
      skipped: [
        { workflowId: SEEDED.succeeded, reason: "status", status: "SUCCESS" },
        { workflowId: "ghost", reason: "not-found" },
      ],
    });
    const resume = await cairn(on("workflows", "resume", "--name", "no-such-workflow"));
    expect(resume.code).toBe(0);
    expect(resume.stdout.trim()).toBe("nothing resumed");
    const refused = await cairn(on("workflows", "resume", "--limit", "5"));
    expect(refused.code).toBe(2);
  });

  it("cancels, resumes and forks, reporting what changed", async () => {
    const first = await cairn(on("workflows", "cancel", SEEDED.queued[0]));
    expect(first.code).toBe(0);
    expect(first.stdout).toContain(`cancelled 1 workflow: ${SEEDED.queued[0]}`);
    const again = await cairn(on("workflows", "cancel", SEEDED.queued[0]));
    expect(again.stdout).toContain("nothing cancelled");
    const resumed = await cairnJson<{ resumed: boolean; status: string }>(
      on("workflows", "resume", SEEDED.failed),
    );
    expect(resumed).toMatchObject({ resumed: true, status: "PENDING" });
    const fork = await cairnJson<{ workflowId: string }>(
      on("workflows", "fork", SEEDED.succeeded, "--from-step", "1", "--id", "order-1001-again"),
    );
    expect(fork.workflowId).toBe("order-1001-again");
    const forked = await cairnJson<{ forkedFrom: string; steps: unknown[] }>(
      on("workflows", "show", "order-1001-again"),
    );
    expect(forked.forkedFrom).toBe(SEEDED.succeeded);
    expect(forked.steps).toHaveLength(1);
    const forks = await cairnJson<Listed>(
      on("workflows", "list", "--forked-from", SEEDED.succeeded),
    );
    expect(forks.workflows.map((w) => w.workflowId)).toEqual(["order-1001-again"]);
    const queued = await cairnJson<{ workflowId: string }>(
      on(
        "workflows",
        "fork",
        SEEDED.succeeded,
        "--from-step",
        "1",
        "--id",
        "order-1001-later",
        "--queue",
        "nobody-serves",
        "--priority",
        "3",
        "--app-version",
        "v9",
        "--timeout",
        "5m",
      ),
    );
    const later = await cairnJson<Record<string, unknown>>(
      on("workflows", "show", queued.workflowId),
    );
    expect(later).toMatchObject({
      status: "ENQUEUED",
      queueName: "nobody-serves",
      priority: 3,
      appVersion: "v9",
      forkedFrom: SEEDED.succeeded,
    });
    const badTimeout = await cairn(
      on("workflows", "fork", SEEDED.succeeded, "--from-step", "0", "--timeout", "soon"),
    );
    expect(badTimeout.code).toBe(2);
  });

  it("follows a live stream while an engine writes it, after a message sent by the binary", async () => {
    const follower = startCairn(on("workflows", "stream", SEEDED.waiting, "log", "--follow"));
    await follower.until((out) => out.includes("'amount 950'"));
    const engine = seedEngine(openStore(), "follow-engine");
    await engine.launch();
    try {
      const sent = await cairn(
        on("workflows", "send", SEEDED.waiting, "approve", '{"approved":true}'),
      );
      expect(sent.code).toBe(0);
      expect(await follower.exited).toBe(0);
      expect(follower.stdout()).toBe("'requested'\n'amount 950'\n'approved'\n");
      await engine.retrieve(SEEDED.waiting).result();
    } finally {
      await engine.shutdown();
    }
    const channels = await cairnJson<{ messages: { topic: string; consumedAt: string | null }[] }>(
      on("workflows", "events", SEEDED.waiting),
    );
    expect(channels.messages.map((m) => [m.topic, typeof m.consumedAt])).toEqual([
      ["approve", "string"],
    ]);
  });

  it("lists queues with waiting, running and recently finished counts", async () => {
    const { queues } = await cairnJson<{
      queues: {
        queueName: string;
        enqueued: number;
        finishedRecently: number;
        limits: unknown;
        limitsChanged: boolean;
      }[];
    }>(on("queues"));
    const byName = Object.fromEntries(queues.map((q) => [q.queueName, q]));
    expect(byName["emails"]?.enqueued).toBe(SEEDED.queued.length - 1); // one was cancelled
    expect(byName["reports"]?.finishedRecently).toBe(1);
    expect(byName["emails"]).toMatchObject({
      limits: { concurrency: 2, rateLimit: { limit: 10, periodMs: 60_000 } },
      limitsChanged: true,
    });
    expect(byName["reports"]).toMatchObject({
      limits: { workerConcurrency: 4 },
      limitsChanged: false,
    });
    const table = await cairn(on("queues"));
    expect(table.stdout).toMatch(/^QUEUE\s+WAITING\s+DELAYED\s+RUNNING/);
    expect(table.stdout).toMatch(/^emails\s.*concurrency 2, 10 per 1m \*$/m);
  });

  it("lists executors with their state, version, lease and the workflow names they advertise", async () => {
    const { executors } = await cairnJson<{
      executors: {
        executorId: string;
        state: string;
        appVersion: string;
        workflowNames: string[] | null;
      }[];
    }>(on("executors"));
    const seed = executors.find((e) => e.executorId === "seed-executor");
    expect(seed).toMatchObject({ state: "stopped", appVersion: "v1.4.2" });
    for (const { name } of ALL_WORKFLOWS) expect(seed?.workflowNames).toContain(name);
    const table = await cairn(on("executors"));
    expect(table.stdout).toMatch(
      /^EXECUTOR\s+STATE\s+VERSION\s+HEARTBEAT\s+LEASE\s+RUNNING\s+WORKFLOWS/,
    );
    expect(table.stdout).toMatch(/^seed-executor\s.*, .*, .* \+\d+$/m); // three names, and how many more
  });

  it("fails with one line and a distinct exit code for an unknown ID, a bad URL, a missing schema", async () => {
    const unknown = await cairn(on("workflows", "show", "no-such-workflow"));
    expect([unknown.code, unknown.stderr]).toEqual([
      3,
      'cairn: No workflow with ID "no-such-workflow"\n',
    ]);
    const badUrl = await cairn(["workflows", "list", "--url", "mysql://x"]);
    expect(badUrl.code).toBe(4);
    expect(badUrl.stderr.trim().split("\n")).toHaveLength(1);
    const refused = await cairn(["executors", "--url", "postgres://postgres@127.0.0.1:1/none"]);
    expect(refused.code).toBe(4);
    expect(refused.stderr).toMatch(/^cairn: cannot reach the database: .*ECONNREFUSED/);
    const missing = await cairn(["queues", "--url", url, "--schema", "no_such_schema"]);
    expect(missing.code).toBe(5);
    expect(missing.stderr).toContain('schema "no_such_schema" not found');
    const noDatabase = await cairn(["queues"]);
    expect(noDatabase.code).toBe(2);
    const badOption = await cairn(on("workflows", "list", "--colour"));
    expect(badOption.code).toBe(2);
    const badJson = await cairn(on("workflows", "send", SEEDED.waiting, "t", "{nope"));
    expect(badJson.code).toBe(2);
  });

  it("migrate --check exits 5 on a schema that is missing, 0 once migrated", async () => {
    const fresh = `cli_m_${Math.random().toString(36).slice(2, 10)}`;
    const args = (...rest: string[]) => ["migrate", ...rest, "--url", url, "--schema", fresh];
    try {
      const before = await cairn(args("--check"));
      expect(before.code).toBe(5);
      expect(before.stdout).toContain("does not exist");
      const migrated = await cairn(args());
      expect(migrated.code).toBe(0);
      expect(migrated.stdout).toMatch(/migrated from version 0 to \d+/);
      const after = await cairnJson<{ state: string; pending: unknown[] }>(args("--check"));
      expect(after).toMatchObject({ state: "current", pending: [] });
    } finally {
      const admin = postgres(url, { max: 1, onnotice: () => {} });
      await admin.unsafe(`drop schema if exists "${fresh}" cascade`);
      await admin.end();
    }
  });

  it("prints help for every command", async () => {
    const main = await cairn(["--help"]);
    const commands = [...main.stdout.matchAll(/^ {2}((?:workflows )?[a-z]+)\s{2,}/gm)].map(
      (m) => m[1] ?? "",
    );
    expect(commands.length).toBeGreaterThanOrEqual(12);
    for (const command of commands) {
      const help = await cairn([...command.split(" "), "--help"]);
      expect(help.code).toBe(0);
      expect(help.stdout).toContain(`Usage: cairn ${command}`);
    }
  });
});
