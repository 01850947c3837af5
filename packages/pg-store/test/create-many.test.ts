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
