/**
 * A bulk start on Postgres (`createWorkflows`): one statement per 1,000 workflows, more than
 * that in one transaction; refused all or none; inside the caller's transaction when given.
 */
import { WorkflowConflictError, type NewWorkflow } from "@cairn/core";
import postgres from "postgres";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createPgStore, type PgStore } from "../src/index.js";
import { adminSql, databaseUrl, freshSchema } from "./support/databases.js";

const newWorkflow = (workflowId: string, name = "n"): NewWorkflow => ({
  workflowId,
  name,
  input: "1",
  executorId: "e",
});
const batch = (n: number, prefix = "wf") =>
  Array.from({ length: n }, (_, i) => newWorkflow(`${prefix}-${i}`));

describe.skipIf(!databaseUrl)("createWorkflows on Postgres", () => {
  let admin: postgres.Sql;
  let client: postgres.Sql;
  let store: PgStore;
  let drop: () => Promise<void>;
  let statements: string[] = [];

  /** The first word of each statement the store sends while `fn` runs. */
  const count = async (fn: () => Promise<unknown>): Promise<string[]> => {
    statements = [];
    await fn();
    return statements.map((s) => s.trim().split(/\s+/)[0]?.toLowerCase() ?? "");
  };
  const stored = async (): Promise<number> => {
    const [row] = await admin.unsafe(`select count(*)::int as n from "${store.schema}".workflows`);
    return row?.["n"] as number;
  };

  beforeAll(() => {
    admin = adminSql();
  });
  afterAll(() => admin.end());

  beforeEach(async () => {
    const fresh = freshSchema(admin);
    drop = fresh.drop;
    client = postgres(databaseUrl ?? "", {
      max: 1,
      onnotice: () => {},
      debug: (_c, q) => statements.push(q),
    });
    store = createPgStore({ sql: client, schema: fresh.schema });
    await store.migrate();
    await store.createWorkflows([newWorkflow("warm")]); // postgres.js describes a statement once
  });
  afterEach(async () => {
    await store.close();
    await client.end();
    await drop();
  });

  it("writes a thousand workflows with one statement", async () => {
    expect(await count(() => store.createWorkflows(batch(1_000)))).toEqual(["with"]);
    expect(await stored()).toBe(1_001);
  });

  it("writes 2,500 in three statements inside one transaction", async () => {
    const sent = await count(() => store.createWorkflows(batch(2_500)));
    expect(sent).toEqual(["begin", "with", "with", "with", "commit"]);
    expect(await stored()).toBe(2_501);
  });

  it("refuses a batch whose ID is held by another name with its one statement, writing nothing", async () => {
    await store.createWorkflow(newWorkflow("taken", "other"));
    const items = [...batch(10), newWorkflow("taken")];
    let error: unknown;
    const sent = await count(() => store.createWorkflows(items).catch((e: unknown) => (error = e)));
    expect(WorkflowConflictError.is(error)).toBe(true);
    expect(sent).toEqual(["with"]);
    expect(await stored()).toBe(2);
  });

  it("rolls back every chunk when a conflict is found in a later one", async () => {
    await store.createWorkflow(newWorkflow("taken", "other"));
    const items = [...batch(1_500), newWorkflow("taken")];
    await expect(store.createWorkflows(items)).rejects.toSatisfy(WorkflowConflictError.is);
    expect(await stored()).toBe(2);
  });

  /**
   * Holds `row` inserted, uncommitted, on a connection of its own while `call` runs: the call's
   * insert of that ID waits for the lock (seen in pg_blocking_pids, not guessed from time), and
   * then the row commits — after the call's snapshot, so the call cannot have seen it.
   */
  const committedMeanwhile = async <T>(row: NewWorkflow, call: () => Promise<T>): Promise<T> => {
    const other = postgres(databaseUrl ?? "", { max: 1, onnotice: () => {} });
    try {
      let release: () => void = () => undefined;
      const held = new Promise<void>((resolve) => (release = resolve));
      let inserted: (pid: number) => void = () => undefined;
      const insertedOnce = new Promise<number>((resolve) => (inserted = resolve));
      const blocker = other.begin(async (tx) => {
        const [me] = await tx.unsafe("select pg_backend_pid() as pid");
        await tx.unsafe(
          `insert into "${store.schema}".workflows (workflow_id, name, status, input, executor_id,
             created_at, updated_at) values ($1, $2, 'PENDING', '1', 'e', 0, 0)`,
          [row.workflowId, row.name],
        );
        inserted(me?.["pid"] as number);
        await held;
      });
      const blockerPid = await insertedOnce;
      const result = call().then(
        (value) => ({ value }),
        (error: unknown) => ({ error }),
      );
      for (;;) {
        const [waiting] = await admin.unsafe(
          "select count(*)::int as n from pg_stat_activity where $1 = any(pg_blocking_pids(pid))",
          [blockerPid],
        );
        if ((waiting?.["n"] as number) > 0) break;
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      release();
      await blocker;
      const settled = await result;
      if ("error" in settled) throw settled.error;
      return settled.value;
    } finally {
      await other.end();
    }
  };

  it("names the ID a batch of one statement conflicts on, even one committed after its snapshot, and writes nothing", async () => {
    const items = batch(10);
    const error: unknown = await committedMeanwhile(newWorkflow("wf-7", "other"), () =>
      store.createWorkflows(items),
    ).catch((e: unknown) => e);
    expect(WorkflowConflictError.is(error)).toBe(true);
    expect(error).toMatchObject({ workflowId: "wf-7", existingName: "other", requestedName: "n" });
    expect((error as Error).message).toContain('"wf-7"');
    expect(await stored()).toBe(2); // "warm" and the other name's wf-7: none of the batch
  });

  it("answers an ID of the same name committed after its snapshot as existing, and writes the rest", async () => {
    const results = await committedMeanwhile(newWorkflow("wf-3"), () =>
      store.createWorkflows(batch(10)),
    );
    expect(results.map((r) => r.created)).toEqual(Array.from({ length: 10 }, (_, i) => i !== 3));
    expect(results[3]?.workflow).toMatchObject({ workflowId: "wf-3", name: "n", createdAt: 0 });
    expect(await stored()).toBe(11);
  });

  it("answers each created workflow with the record a read gives", async () => {
    const [result] = await store.createWorkflows([
      {
        ...newWorkflow("full"),
        deadlineAt: 1_900_000_000_000,
        appVersion: "v1",
        parentWorkflowId: "parent",
        traceContext: { traceparent: "00-abc-def-01" },
        attributes: { tenant: "t1", tier: 2 },
      },
    ]);
    expect(result?.created).toBe(true);
    expect(result?.workflow).toEqual(await store.getWorkflow("full"));
  });

  it("writes inside the caller's transaction: nothing if it rolls back, all if it commits", async () => {
    await client
      .begin(async (tx) => {
        await store.createWorkflows(batch(1_200, "gone"), { tx });
        throw new Error("roll back");
      })
      .catch(() => undefined);
    expect(await stored()).toBe(1);
    await client.begin((tx) => store.createWorkflows(batch(1_200, "kept"), { tx }));
    expect(await stored()).toBe(1_201);
  });
});
