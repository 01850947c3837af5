/**
 * The finish-wake trigger of migration 0019 (decision 0014): a finish looks for suspended waiters
 * only when a suspension waits for that workflow (`awaited`, set by the suspension's own write).
 * The race it must survive is forced here, not left to timing: the finish reads the workflow's
 * row before a suspension marks it, waits for that suspension's lock, and still wakes it. A
 * suspension written before the migration is woken too, and a finish nobody waits for calls no
 * trigger at all.
 */
import type { Fence } from "@cairn/core";
import postgres from "postgres";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { postgresExecutor } from "../src/executors/postgres-executor.js";
import { createPgStore, type PgStore } from "../src/index.js";
import { migrate } from "../src/migrate.js";
import { embeddedMigrations } from "../src/migrations/embedded.js";
import { suspendWorkflows, suspensionStatements } from "../src/queries/suspensions.js";
import { schemaNames } from "../src/schema-names.js";
import { adminSql, databaseUrl, freshSchema } from "./support/databases.js";

const fence: Fence = { executorId: "e", epoch: 0 };
const newWorkflow = (workflowId: string) => ({
  workflowId,
  name: "n",
  input: "1",
  executorId: "e",
});
const success = (workflowId: string) => ({
  workflowId,
  executorId: "e",
  status: "SUCCESS" as const,
  output: "1",
});
const due = { executorId: "e", now: 1, limit: 10 };

describe.skipIf(!databaseUrl)("the finish-wake trigger (Postgres)", () => {
  let admin: postgres.Sql;
  let schema: string;
  let waiter: PgStore;
  let writer: PgStore;
  let drop: () => Promise<void>;

  beforeAll(() => {
    admin = adminSql();
  });
  afterAll(() => admin.end());

  beforeEach(() => {
    const fresh = freshSchema(admin);
    schema = fresh.schema;
    drop = fresh.drop;
    waiter = createPgStore({ url: databaseUrl, schema, max: 2 });
    writer = createPgStore({ url: databaseUrl, schema, max: 2 });
  });
  afterEach(async () => {
    await Promise.all([waiter.close(), writer.close()]);
    await drop();
  });

  /** Resolves once a backend of this test runs a statement containing `text`, waiting on a lock. */
  async function blockedOn(text: string): Promise<void> {
    for (;;) {
      const rows = await admin`
        select 1 from pg_stat_activity
        where wait_event_type = 'Lock' and query like ${`%${schema}%`}
          and position(${text} in query) > 0`;
      if (rows.length > 0) return;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }

  it("wakes a suspension that marked its source after the finish had read the source's row", async () => {
    await waiter.migrate();
    for (const id of ["parent", "child"]) await writer.createWorkflow(newWorkflow(id));
    const holder = postgres(databaseUrl ?? "", { max: 1, onnotice: () => {} });
    try {
      // The child's row is locked elsewhere: the suspension's lock waits first, then the finish
      // (whose snapshot, taken now, sees the child unmarked) queues behind it.
      let release = (): void => {};
      let locked = (): void => {};
      const lockTaken = new Promise<void>((resolve) => (locked = resolve));
      const held = holder.begin(async (tx) => {
        await tx.unsafe(
          `select 1 from "${schema}".workflows where workflow_id = 'child' for update`,
        );
        locked();
        await new Promise<void>((resolve) => (release = resolve));
      });
      await lockTaken;
      const suspended = waiter.suspendWorkflow("parent", undefined, fence, [
        { kind: "status", workflowId: "child" },
      ]);
      await blockedOn("for no key update");
      const finished = writer.finishWorkflow(success("child"), fence);
      await blockedOn("set status");
      release();
      await held;
      expect(await suspended).toBe(true);
      expect(await finished).toBe(true);
      const claimed = await waiter.claimDueWorkflows(due);
      expect(claimed.workflows.map((w) => w.workflowId)).toEqual(["parent"]);
    } finally {
      await holder.end();
    }
  });

  it("wakes a suspension written before migration 0019 when its source finishes after it", async () => {
    const names = schemaNames(schema);
    const old = postgresExecutor(postgres(databaseUrl ?? "", { max: 1, onnotice: () => {} }), true);
    try {
      const version = embeddedMigrations.find((m) => m.name === "finish_wake_only_when_awaited");
      await migrate(old, names, embeddedMigrations.slice(0, (version?.version ?? 0) - 1));
      for (const id of ["parent", "child", "other"]) await writer.createWorkflow(newWorkflow(id));
      expect(
        await waiter.suspendWorkflow("parent", undefined, fence, [
          { kind: "status", workflowId: "child" },
        ]),
      ).toBe(true);
      await waiter.migrate();
      await writer.finishWorkflow(success("other"), fence);
      expect((await waiter.claimDueWorkflows(due)).workflows).toEqual([]);
      await writer.finishWorkflow(success("child"), fence);
      const claimed = await waiter.claimDueWorkflows(due);
      expect(claimed.workflows.map((w) => w.workflowId)).toEqual(["parent"]);
    } finally {
      await old.close();
    }
  });

  it("marks the awaited workflow again when a suspension writes the same keys again (0020)", async () => {
    await waiter.migrate();
    for (const id of ["parent", "child"]) await writer.createWorkflow(newWorkflow(id));
    const wakeOn = [{ kind: "status" as const, workflowId: "child" }];
    expect(await waiter.suspendWorkflow("parent", undefined, fence, wakeOn)).toBe(true);
    // The child unmarked while the parent's row still holds the same keys (as after a delete
    // and a create of the child under its ID, or a put-back that left the keys).
    await admin.unsafe(
      `update "${schema}".workflows set awaited = null where workflow_id = 'child'`,
    );
    expect(await waiter.suspendWorkflow("parent", undefined, fence, wakeOn)).toBe(true);
    await writer.finishWorkflow(success("child"), fence);
    const claimed = await waiter.claimDueWorkflows(due);
    expect(claimed.workflows.map((w) => w.workflowId)).toEqual(["parent"]);
  });

  it("wakes the waiters of an awaited workflow that is deleted (0020)", async () => {
    await waiter.migrate();
    for (const id of ["parent", "child", "other"]) await writer.createWorkflow(newWorkflow(id));
    const wakeOn = [{ kind: "status" as const, workflowId: "child" }];
    expect(await waiter.suspendWorkflow("parent", undefined, fence, wakeOn)).toBe(true);
    await admin.unsafe(`delete from "${schema}".workflows where workflow_id = 'other'`);
    expect((await waiter.claimDueWorkflows(due)).workflows).toEqual([]);
    // Created again under its ID, the child's new row would not be marked: the waiter reads
    // again now, and finds it missing.
    await admin.unsafe(`delete from "${schema}".workflows where workflow_id = 'child'`);
    const claimed = await waiter.claimDueWorkflows(due);
    expect(claimed.workflows.map((w) => w.workflowId)).toEqual(["parent"]);
  });

  /** A suspension of `id` on the end of `awaited`, written as an engine before 0020 wrote it. */
  const suspendAsBefore0020 = (id: string, awaited: string) =>
    admin.unsafe(
      `update "${schema}".workflows
       set wake_at = null, wake_epoch = owner_epoch, wake_keys = array['status:${awaited}']
       where workflow_id = '${id}'`,
    );

  it("gives a suspension on a workflow that does not exist yet a due time a second ahead (0021)", async () => {
    await waiter.migrate();
    await writer.createWorkflow(newWorkflow("parent"));
    await suspendAsBefore0020("parent", "later");
    expect((await waiter.claimDueWorkflows(due)).workflows).toEqual([]);
    const soon = { ...due, now: Date.now() + 60_000 };
    expect((await waiter.claimDueWorkflows(soon)).workflows.map((w) => w.workflowId)).toEqual([
      "parent",
    ]);
  });

  it("marks, at migration 0021, what suspensions in force await, and makes due those awaiting none", async () => {
    const names = schemaNames(schema);
    const old = postgresExecutor(postgres(databaseUrl ?? "", { max: 1, onnotice: () => {} }), true);
    try {
      const version = embeddedMigrations.find((m) => m.name === "suspensions_on_missing_workflows");
      await migrate(old, names, embeddedMigrations.slice(0, (version?.version ?? 0) - 1));
      for (const id of ["parent", "orphan"]) await writer.createWorkflow(newWorkflow(id));
      await suspendAsBefore0020("parent", "later");
      await suspendAsBefore0020("orphan", "gone");
      await writer.createWorkflow(newWorkflow("later")); // unmarked: created after the wait
      await waiter.migrate();
      expect((await waiter.claimDueWorkflows(due)).workflows.map((w) => w.workflowId)).toEqual([
        "orphan",
      ]);
      await writer.finishWorkflow(success("later"), fence);
      expect((await waiter.claimDueWorkflows(due)).workflows.map((w) => w.workflowId)).toEqual([
        "parent",
      ]);
    } finally {
      await old.close();
    }
  });

  it("writes a batch in which one waiter awaits another member of the batch", async () => {
    await waiter.migrate();
    for (const id of ["parent", "child"]) await writer.createWorkflow(newWorkflow(id));
    const db = postgresExecutor(postgres(databaseUrl ?? "", { max: 1, onnotice: () => {} }), true);
    try {
      const results = await suspendWorkflows(db, suspensionStatements(schemaNames(schema)), [
        {
          workflowId: "parent",
          wakeAt: undefined,
          fence,
          wakeOn: [{ kind: "status", workflowId: "child" }],
        },
        {
          workflowId: "child",
          wakeAt: undefined,
          fence,
          wakeOn: [{ kind: "message", workflowId: "child", topic: "go" }],
        },
      ]);
      expect(results).toEqual(["suspended", "suspended"]);
    } finally {
      await db.close();
    }
    await writer.finishWorkflow(success("child"), fence);
    expect((await waiter.claimDueWorkflows(due)).workflows.map((w) => w.workflowId)).toEqual([
      "parent",
    ]);
  });

  it("calls no trigger for a finish nobody waits for, and the wake-up for one somebody does", async () => {
    await waiter.migrate();
    for (const id of ["alone", "child", "parent"]) await writer.createWorkflow(newWorkflow(id));
    await waiter.suspendWorkflow("parent", undefined, fence, [
      { kind: "status", workflowId: "child" },
    ]);
    /** The triggers an update finishing `id` calls, by name (rolled back). */
    const triggersOf = async (id: string) => {
      let fired: { "Trigger Name": string; Calls: number }[] = [];
      await admin
        .begin(async (tx) => {
          const [row] = await tx.unsafe<{ "QUERY PLAN": [{ Triggers: typeof fired }] }[]>(
            `explain (analyze, format json)
             update "${schema}".workflows set status = 'SUCCESS' where workflow_id = $1`,
            [id],
          );
          fired = row?.["QUERY PLAN"][0].Triggers ?? [];
          throw new Error("rollback");
        })
        .catch((error: unknown) => {
          if (!(error instanceof Error) || error.message !== "rollback") throw error;
        });
      return fired.map((t) => [t["Trigger Name"], t.Calls]);
    };
    expect(await triggersOf("alone")).toEqual([]);
    expect(await triggersOf("child")).toEqual([["workflows_finish_wake", 1]]);
  });
});
