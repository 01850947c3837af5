import { CairnError, StoreUnavailableError } from "@cairn/core";
import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  createPgStore,
  createPgliteStore,
  DatabaseUnavailableError,
  StoreClosedError,
} from "../src/index.js";
import { adminSql, databaseUrl, freshSchema } from "./support/databases.js";

const newWorkflow = { workflowId: "wf", name: "n", input: "1", executorId: "e" };

describe("errors", () => {
  it("rejects with DatabaseUnavailableError, a core StoreUnavailableError, when the server cannot be reached", async () => {
    const store = createPgStore({ url: "postgres://postgres@127.0.0.1:1/none", max: 1 });
    try {
      const failure: unknown = await store.migrate().catch((error: unknown) => error);
      expect(DatabaseUnavailableError.is(failure)).toBe(true);
      expect(StoreUnavailableError.is(failure)).toBe(true);
      expect(CairnError.is(failure, "STORE_UNAVAILABLE")).toBe(true);
      expect(failure).toBeInstanceOf(StoreUnavailableError);
      expect(failure).toMatchObject({
        name: "DatabaseUnavailableError",
        code: "STORE_UNAVAILABLE",
      });
      expect((failure as Error).cause).toMatchObject({ code: "ECONNREFUSED" });
      await expect(store.createWorkflow(newWorkflow)).rejects.toBeInstanceOf(
        DatabaseUnavailableError,
      );
    } finally {
      await store.close();
    }
  });

  it("rejects calls after close() with StoreClosedError naming the method", async () => {
    const store = createPgliteStore({ dataDir: "memory://" });
    await store.close();
    await expect(store.getWorkflow("wf")).rejects.toMatchObject({
      name: "StoreClosedError",
      code: "STORE_CLOSED",
      method: "getWorkflow",
    });
    expect(StoreClosedError.is(await store.migrate().catch((error: unknown) => error))).toBe(true);
    await expect(store.close()).resolves.toBeUndefined();
  });

  it("refuses a url and a client at once", () => {
    const sql = postgres({ max: 1 });
    expect(() => createPgStore({ sql, url: "postgres://x" })).toThrow(TypeError);
  });
});

describe.skipIf(!databaseUrl)("errors on Postgres", () => {
  let admin: postgres.Sql;
  beforeAll(() => {
    admin = adminSql();
  });
  afterAll(() => admin.end());

  it("passes statement errors through unchanged, e.g. a call before migrate()", async () => {
    const { schema, drop } = freshSchema(admin);
    const store = createPgStore({ url: databaseUrl, schema, max: 1 });
    try {
      const failure: unknown = await store
        .createWorkflow(newWorkflow)
        .catch((error: unknown) => error);
      expect(failure).toBeInstanceOf(postgres.PostgresError);
      expect(failure).toMatchObject({ code: "42P01" }); // undefined_table
    } finally {
      await store.close();
      await drop();
    }
  });

  it("leaves a client it did not open usable after close()", async () => {
    const { schema, drop } = freshSchema(admin);
    const sql = postgres(databaseUrl ?? "", { max: 1, onnotice: () => {} });
    const store = createPgStore({ sql, schema });
    try {
      await store.migrate();
      await store.close();
      expect(await sql`select 1 as one`).toEqual([{ one: 1 }]);
    } finally {
      await sql.end();
      await drop();
    }
  });
});
