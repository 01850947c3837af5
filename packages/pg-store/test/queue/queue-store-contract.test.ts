/**
 * The queue store contract (`@cairn/queue/testing/contract`) on Postgres and PGlite, with
 * caller transactions of each driver. The memory queue store runs the same suite in
 * `@cairn/queue`.
 */
import { describeQueueStoreContract } from "@cairn/queue/testing/contract";
import type { PGlite } from "@electric-sql/pglite";
import type postgres from "postgres";
import { afterAll, beforeAll, describe } from "vitest";
import { createPgStore, createPgliteStore } from "../../src/index.js";
import { createPgQueueStore } from "../../src/queue/index.js";
import {
  adminSql,
  databaseUrl,
  freshSchema,
  openSharedPglite,
  uniqueSchema,
} from "../support/databases.js";

describe.skipIf(!databaseUrl)("on Postgres", () => {
  let admin: postgres.Sql;
  beforeAll(() => {
    admin = adminSql();
  });
  afterAll(() => admin.end());

  describeQueueStoreContract(
    "postgres",
    { callerTransactions: true, multiProcess: true, finishesInClaim: true },
    async () => {
      const { schema, drop } = freshSchema(admin);
      const store = createPgStore({ url: databaseUrl, schema, max: 4 });
      return {
        store,
        queues: createPgQueueStore(store),
        transaction: (body) => admin.begin((tx) => body(tx)) as never,
        cleanup: drop,
      };
    },
  );
});

describe("on PGlite", () => {
  let shared: { db: PGlite; close: () => Promise<void> };
  beforeAll(async () => {
    shared = await openSharedPglite();
  });
  afterAll(() => shared.close());

  // One PGlite for the whole file (each instance costs ~300 MB), a fresh schema per test.
  describeQueueStoreContract(
    "pglite",
    { callerTransactions: true, multiProcess: false, finishesInClaim: true },
    async () => {
      const schema = uniqueSchema();
      const store = createPgliteStore({ db: shared.db, schema });
      return {
        store,
        queues: createPgQueueStore(store),
        transaction: (body) => shared.db.transaction((tx) => body(tx)),
        cleanup: () => shared.db.exec(`drop schema if exists "${schema}" cascade`).then(() => {}),
      };
    },
  );
});
