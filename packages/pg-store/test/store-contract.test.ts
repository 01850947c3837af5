import { describeStoreContract } from "@cairn/core/testing/contract";
import type { PGlite } from "@electric-sql/pglite";
import type postgres from "postgres";
import { afterAll, beforeAll, describe } from "vitest";
import { createPgStore, createPgliteStore } from "../src/index.js";
import {
  adminSql,
  databaseUrl,
  freshSchema,
  openSharedPglite,
  uniqueSchema,
} from "./support/databases.js";

describe.skipIf(!databaseUrl)("on Postgres", () => {
  let admin: postgres.Sql;
  beforeAll(() => {
    admin = adminSql();
  });
  afterAll(() => admin.end());

  describeStoreContract("postgres", () => {
    const { schema, drop } = freshSchema(admin);
    return Promise.resolve({
      store: createPgStore({ url: databaseUrl, schema, max: 4 }),
      cleanup: drop,
    });
  });
});

describe("on PGlite", () => {
  let shared: { db: PGlite; close: () => Promise<void> };
  beforeAll(async () => {
    shared = await openSharedPglite();
  });
  afterAll(() => shared.close());

  // One PGlite for the whole file (each instance costs ~300 MB), a fresh schema per test.
  describeStoreContract("pglite", () => {
    const schema = uniqueSchema();
    const store = createPgliteStore({ db: shared.db, schema });
    return Promise.resolve({
      store,
      cleanup: () => shared.db.exec(`drop schema if exists "${schema}" cascade`).then(() => {}),
    });
  });
});
