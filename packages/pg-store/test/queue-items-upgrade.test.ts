/**
 * Migrations 0016 (no foreign key, an index of delayed items only) and 0017 (a trigger deletes
 * the items of deleted workflows) applied to a populated version-15 schema, on Postgres and
 * PGlite: the items an engine of an earlier version left while 0016 was in force are gone, the
 * waiting and delayed ones stay, and the queue's counts still find the delayed one.
 */
import type { PGlite } from "@electric-sql/pglite";
import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createPgStore, createPgliteStore, type PgStore } from "../src/index.js";
import { pgliteExecutor } from "../src/executors/pglite-executor.js";
import { postgresExecutor } from "../src/executors/postgres-executor.js";
import type { SqlExecutor } from "../src/executors/sql-executor.js";
import { migrate } from "../src/migrate.js";
import { embeddedMigrations } from "../src/migrations/embedded.js";
import { createPgQueueStore } from "../src/queue/index.js";
import { schemaNames } from "../src/schema-names.js";
import { databaseUrl, dropSchema, openSharedPglite, uniqueSchema } from "./support/databases.js";

/** How many migrations come before the one called `name`. */
const before = (name: string): number =>
  (embeddedMigrations.find((m) => m.name === name)?.version ?? Number.NaN) - 1;

/** What a backend gives the test: an executor for old versions and a store of this version. */
interface Backend {
  readonly name: string;
  readonly skip: boolean;
  open(): Promise<void>;
  close(): Promise<void>;
  executor(): SqlExecutor;
  store(schema: string): PgStore;
  drop(schema: string): Promise<void>;
}

function postgresBackend(): Backend {
  let admin: postgres.Sql | undefined;
  return {
    name: "Postgres",
    skip: !databaseUrl,
    open: () => {
      admin = postgres(databaseUrl ?? "", { max: 1, onnotice: () => {} });
      return Promise.resolve();
    },
    close: async () => admin?.end(),
    executor: () =>
      postgresExecutor(postgres(databaseUrl ?? "", { max: 1, onnotice: () => {} }), true),
    store: (schema) => createPgStore({ url: databaseUrl, schema, max: 1 }),
    drop: (schema) => (admin ? dropSchema(admin, schema) : Promise.resolve()),
  };
}

function pgliteBackend(): Backend {
  let shared: { db: PGlite; close: () => Promise<void> } | undefined;
  const db = (): PGlite => {
    if (!shared) throw new Error("open() the backend first");
    return shared.db;
  };
  return {
    name: "PGlite",
    skip: false,
    open: async () => {
      shared = await openSharedPglite();
    },
    close: async () => shared?.close(),
    executor: () =>
      pgliteExecutor(
        () => Promise.resolve(db()),
        false,
        () => {},
      ),
    store: (schema) => createPgliteStore({ db: db(), schema }),
    drop: async (schema) => {
      await db().exec(`drop schema if exists "${schema}" cascade`);
    },
  };
}

describe.each([postgresBackend(), pgliteBackend()])(
  "queue items upgraded to 0016 and 0017 on $name",
  (backend) => {
    beforeAll(() => backend.open());
    afterAll(() => backend.close());

    it.skipIf(backend.skip)(
      "drops the items an earlier engine left and keeps the waiting and delayed ones counted",
      async () => {
        const schema = uniqueSchema();
        const names = schemaNames(schema);
        const old = backend.executor();
        const store = backend.store(schema);
        try {
          await migrate(old, names, embeddedMigrations.slice(0, before("lighter_queue_items")));
          const now = Date.now();
          const later = now + 3_600_000;
          await old.script(`
            insert into ${names.quoted}.workflows
              (workflow_id, name, status, input, executor_id, queue_name, created_at, updated_at)
            values ('ready', 'job', 'ENQUEUED', '1', 'cairn:queue', 'jobs', ${now}, ${now}),
                   ('later', 'job', 'ENQUEUED', '1', 'cairn:queue', 'jobs', ${now}, ${now}),
                   ('done', 'job', 'SUCCESS', '1', 'executor-a', 'jobs', ${now}, ${now});
            insert into ${names.quoted}.queue_items
              (workflow_id, queue_name, dedup_id, available_at, enqueued_at, started_at)
            values ('ready', 'jobs', null, ${now}, ${now}, null),
                   ('later', 'jobs', null, ${later}, ${now}, null),
                   ('done', 'jobs', 'k', ${now}, ${now}, ${now});`);
          // 0016 in force, then an engine of an earlier version deletes 'done' as it always did.
          await migrate(old, names, embeddedMigrations.slice(0, before("lighter_queue_items") + 1));
          await old.script(`delete from ${names.quoted}.workflows where workflow_id = 'done'`);
          const items = () =>
            old.query<{ workflow_id: string }>(
              `select workflow_id from ${names.quoted}.queue_items order by workflow_id`,
            );
          expect(await items()).toHaveLength(3);

          await store.migrate();
          expect(await items()).toEqual([{ workflow_id: "later" }, { workflow_id: "ready" }]);
          expect(await createPgQueueStore(store).counts("jobs")).toMatchObject({
            ENQUEUED: 2,
            SUCCESS: 0,
            delayed: 1,
          });
          const [keys] = await old.query<{ foreign_keys: number; triggers: number }>(
            `select (select count(*)::int from pg_constraint
                     where conrelid = $1::regclass and contype = 'f') as foreign_keys,
                    (select count(*)::int from pg_trigger
                     where tgrelid = $2::regclass and tgname = 'workflows_delete_queue_items')
                      as triggers`,
            [`${names.quoted}.queue_items`, names.workflows],
          );
          expect(keys).toEqual({ foreign_keys: 0, triggers: 1 });
        } finally {
          await store.close();
          await old.close();
          await backend.drop(schema);
        }
      },
    );
  },
);
