import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import postgres from "postgres";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { createPgStore, createPgliteStore, SchemaNameInvalidError } from "../src/index.js";
import { postgresExecutor } from "../src/executors/postgres-executor.js";
import { migrate } from "../src/migrate.js";
import type { EmbeddedMigration } from "../src/migrations/embedded-migration.js";
import { embeddedMigrations } from "../src/migrations/embedded.js";
import { schemaNames } from "../src/schema-names.js";
import { adminSql, databaseUrl, freshSchema } from "./support/databases.js";

describe("embedded migrations", () => {
  it("match the .sql files in migrations/ (run scripts/embed-migrations.mjs after editing one)", () => {
    const script = fileURLToPath(new URL("../scripts/embed-migrations.mjs", import.meta.url));
    expect(() =>
      execFileSync(process.execPath, [script, "--check"], { stdio: "pipe" }),
    ).not.toThrow();
  });

  it("are numbered 1, 2, 3... in order", () => {
    expect(embeddedMigrations.map((m) => m.version)).toEqual(
      embeddedMigrations.map((_, i) => i + 1),
    );
  });
});

describe("schema names", () => {
  const bad = [
    "",
    "1abc",
    "bad-name",
    'x"; drop table users; --',
    "with space",
    "x".repeat(64),
    "é",
  ];

  it.each(bad)("rejects %j with SchemaNameInvalidError before connecting", (schema) => {
    for (const create of [() => createPgStore({ schema }), () => createPgliteStore({ schema })]) {
      expect(create).toThrow(SchemaNameInvalidError);
      try {
        create();
      } catch (error) {
        expect(error).toMatchObject({ code: "SCHEMA_NAME_INVALID", schema });
      }
    }
  });

  it("accepts letters, digits and underscores up to 63 characters", () => {
    for (const schema of ["cairn", "_x", "Tenant_42", "x".repeat(63)]) {
      expect(createPgliteStore({ dataDir: "memory://", schema }).schema).toBe(schema);
    }
  });
});

describe.skipIf(!databaseUrl)("migrate on Postgres", () => {
  let admin: postgres.Sql;
  const drops: (() => Promise<void>)[] = [];
  const schemaForTest = (): string => {
    const { schema, drop } = freshSchema(admin);
    drops.push(drop);
    return schema;
  };
  const migrations = async (schema: string) =>
    admin.unsafe<{ version: number; name: string }[]>(
      `select version, name from "${schema}".migrations order by version`,
    );

  beforeAll(() => {
    admin = adminSql();
  });
  afterEach(async () => {
    await Promise.all(drops.splice(0).map((drop) => drop()));
  });
  afterAll(() => admin.end());

  it("applies each migration once when five stores migrate one fresh schema at the same time", async () => {
    const schema = schemaForTest();
    const stores = Array.from({ length: 5 }, () =>
      createPgStore({ url: databaseUrl, schema, max: 2 }),
    );
    try {
      await Promise.all(stores.map((store) => store.migrate()));
      expect(await migrations(schema)).toEqual(
        embeddedMigrations.map(({ version, name }) => ({ version, name })),
      );
      const created = await Promise.all(
        stores.map((store, i) =>
          store.createWorkflow({ workflowId: "wf", name: "n", input: `${i}`, executorId: "e" }),
        ),
      );
      expect(created.filter((r) => r.created)).toHaveLength(1);
    } finally {
      await Promise.all(stores.map((store) => store.close()));
    }
  });

  it("records each migration once however often migrate runs", async () => {
    const schema = schemaForTest();
    const store = createPgStore({ url: databaseUrl, schema, max: 1 });
    try {
      await store.migrate();
      await store.migrate();
      await store.migrate();
      expect(await migrations(schema)).toHaveLength(embeddedMigrations.length);
    } finally {
      await store.close();
    }
  });

  it("works in a custom schema and keeps schemas apart", async () => {
    const [a, b] = [schemaForTest(), schemaForTest()];
    const storeA = createPgStore({ url: databaseUrl, schema: a });
    const storeB = createPgStore({ url: databaseUrl, schema: b });
    try {
      await Promise.all([storeA.migrate(), storeB.migrate()]);
      await storeA.createWorkflow({ workflowId: "wf", name: "n", input: "1", executorId: "e" });
      expect(await storeB.getWorkflow("wf")).toBeUndefined();
      expect((await storeA.getWorkflow("wf"))?.input).toBe("1");
      const tables = await admin<{ tablename: string }[]>`
        select tablename from pg_tables where schemaname = ${a} order by tablename`;
      expect(tables.map((t) => t.tablename)).toEqual([
        "event_history",
        "events",
        "executors",
        "messages",
        "migrations",
        "queue_items",
        "queues",
        "schedules",
        "step_attempts",
        "steps",
        "streams",
        "workflows",
      ]);
    } finally {
      await Promise.all([storeA.close(), storeB.close()]);
    }
  });

  it("migrates into a schema that already exists without touching its other tables", async () => {
    const schema = schemaForTest();
    await admin.unsafe(`create schema "${schema}"; create table "${schema}".mine (x int)`);
    const store = createPgStore({ url: databaseUrl, schema, max: 1 });
    try {
      await store.migrate();
      expect(await admin.unsafe(`select count(*)::int as n from "${schema}".mine`)).toEqual([
        { n: 0 },
      ]);
    } finally {
      await store.close();
    }
  });

  it("leaves alone a database that newer code migrated further", async () => {
    const schema = schemaForTest();
    const store = createPgStore({ url: databaseUrl, schema, max: 1 });
    try {
      await store.migrate();
      await admin.unsafe(`insert into "${schema}".migrations values (999, 'from_the_future', 0)`);
      await store.migrate();
      expect((await migrations(schema)).map((m) => m.version)).toContain(999);
    } finally {
      await store.close();
    }
  });

  it("upgrades a version-1 schema that holds workflows: old rows get no deadline and no fork", async () => {
    const schema = schemaForTest();
    const v1 = postgresExecutor(postgres(databaseUrl ?? "", { max: 1, onnotice: () => {} }), true);
    await migrate(v1, schemaNames(schema), embeddedMigrations.slice(0, 1));
    await v1.close();
    await admin.unsafe(
      `insert into "${schema}".workflows
         (workflow_id, name, status, input, executor_id, created_at, updated_at)
       values ('old', 'checkout', 'PENDING', '1', 'executor-a', 1, 1)`,
    );
    const store = createPgStore({ url: databaseUrl, schema, max: 1 });
    try {
      await store.migrate();
      const old = await store.getWorkflow("old");
      expect(old).toMatchObject({ workflowId: "old", status: "PENDING", input: "1" });
      expect(old?.deadlineAt).toBeUndefined();
      expect(old?.forkedFrom).toBeUndefined();
      expect(await store.listWorkflows({})).toEqual([old]);
      const message = { destinationId: "old", topic: "t", message: "2", messageId: "m" };
      expect(await store.sendMessage(message)).toBe("sent");
    } finally {
      await store.close();
    }
  });

  it("gives rows older than run times what is known of them: finish, start, queue fields", async () => {
    const schema = schemaForTest();
    const before = embeddedMigrations.findIndex(
      (m) => m.name === "workflow_run_times_and_queue_fields",
    );
    expect(before).toBeGreaterThan(0);
    const old = postgresExecutor(postgres(databaseUrl ?? "", { max: 1, onnotice: () => {} }), true);
    await migrate(old, schemaNames(schema), embeddedMigrations.slice(0, before));
    await old.close();
    await admin.unsafe(
      `insert into "${schema}".workflows
         (workflow_id, name, status, input, executor_id, queue_name, created_at, updated_at)
       values ('done', 'checkout', 'SUCCESS', '1', 'executor-a', null, 10, 20),
              ('running', 'checkout', 'PENDING', '1', 'executor-a', null, 30, 30),
              ('claimed', 'job', 'PENDING', '1', 'executor-a', 'jobs', 40, 45),
              ('waiting', 'job', 'ENQUEUED', '1', 'cairn:queue', 'jobs', 50, 50);
       insert into "${schema}".queue_items
         (workflow_id, queue_name, partition_key, priority, dedup_id, available_at, enqueued_at,
          started_at)
       values ('claimed', 'jobs', 'tenant-1', 2, 'd-1', 40, 40, 45),
              ('waiting', 'jobs', '', 0, null, 50, 50, null)`,
    );
    const store = createPgStore({ url: databaseUrl, schema, max: 1 });
    try {
      await store.migrate();
      const rows = await store.listWorkflows({ loadInput: false });
      expect(rows.map((w) => [w.workflowId, w.startedAt, w.completedAt])).toEqual([
        ["done", 10, 20],
        ["running", 30, undefined],
        ["claimed", 45, undefined],
        ["waiting", undefined, undefined],
      ]);
      expect(rows[2]).toMatchObject({ priority: 2, dedupId: "d-1", partitionKey: "tenant-1" });
      expect(rows[3]).toMatchObject({ priority: 0, dedupId: undefined, partitionKey: undefined });
    } finally {
      await store.close();
    }
  });

  it("indexes attributes for containment with jsonb_path_ops, leaving rows without any out", async () => {
    const schema = schemaForTest();
    const store = createPgStore({ url: databaseUrl, schema, max: 1 });
    try {
      await store.migrate();
      const [index] = await admin<{ indexdef: string }[]>`
        select indexdef from pg_indexes
        where schemaname = ${schema} and indexname = 'workflows_attributes_idx'`;
      expect(index?.indexdef).toMatch(
        /USING gin \(attributes jsonb_path_ops\) WHERE \(attributes IS NOT NULL\)/,
      );
    } finally {
      await store.close();
    }
  });

  it("indexes PENDING workflows by executor for recovery", async () => {
    const schema = schemaForTest();
    const store = createPgStore({ url: databaseUrl, schema, max: 1 });
    try {
      await store.migrate();
      const [index] = await admin<{ indexdef: string }[]>`
        select indexdef from pg_indexes
        where schemaname = ${schema} and indexname = 'workflows_recovery_idx'`;
      expect(index?.indexdef).toMatch(/\(executor_id\) WHERE \(status = 'PENDING'::text\)/);
    } finally {
      await store.close();
    }
  });
});

describe.skipIf(!databaseUrl)("migrate beside a live engine's locks on Postgres", () => {
  let admin: postgres.Sql;
  const drops: (() => Promise<void>)[] = [];
  const closers: (() => Promise<unknown>)[] = [];

  beforeAll(() => {
    admin = adminSql();
  });
  afterEach(async () => {
    for (const close of closers.splice(0).reverse()) await close();
    await Promise.all(drops.splice(0).map((drop) => drop()));
  });
  afterAll(() => admin.end());

  /** A connection of its own, closed after the test. */
  const connection = async () => {
    const sql = postgres(databaseUrl ?? "", { max: 1, onnotice: () => {} });
    closers.push(() => sql.end({ timeout: 1 }));
    return sql.reserve();
  };

  /** A fresh schema, an executor to migrate it and a connection of its own (a live engine's). */
  const setUp = async () => {
    const { schema, drop } = freshSchema(admin);
    drops.push(drop);
    const sql = postgres(databaseUrl ?? "", { max: 1, onnotice: () => {} });
    const executor = postgresExecutor(sql, true);
    closers.push(() => executor.close());
    const other = await connection();
    closers.push(() => other`rollback`);
    const [{ pid } = { pid: 0 }] = await other<{ pid: number }[]>`select pg_backend_pid() as pid`;
    return { schema, names: schemaNames(schema), executor, other, otherPid: pid };
  };

  /** Resolves once some backend waits for a lock `waiting` describes (pg_locks, not granted). */
  const waitsFor = async (waiting: string, params: postgres.ParameterOrJSON<never>[]) => {
    for (;;) {
      const rows = await admin.unsafe(
        `select 1 from pg_locks where not granted and ${waiting}`,
        params,
      );
      if (rows.length > 0) return;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  };

  const applied = async (schema: string) =>
    (
      await admin.unsafe<{ version: number }[]>(
        `select version from "${schema}".migrations order by version`,
      )
    ).map((m) => m.version);

  it("tries a migration again when a lock it waits for times out, and then applies it", async () => {
    const { schema, names, executor, other } = await setUp();
    const upTo16 = embeddedMigrations.findIndex((m) => m.name === "lighter_queue_items");
    await migrate(executor, names, embeddedMigrations.slice(0, upTo16));
    // A live engine reads queue_items in an open transaction: 0016 needs it exclusively.
    await other`begin`;
    await other.unsafe(`select count(*) from "${schema}".queue_items`);

    const retries: unknown[] = [];
    await migrate(executor, names, embeddedMigrations, {
      lockTimeoutMs: 50,
      retryDelayMs: 0,
      onRetry: async (error) => {
        retries.push((error as { code?: string }).code);
        await other`commit`; // the engine's transaction ends while the migration backs off
      },
    });
    expect(retries).toEqual(["55P03"]);
    expect(await applied(schema)).toEqual(embeddedMigrations.map((m) => m.version));
  });

  it("tries a migration again when Postgres cancels it to break a deadlock, and then applies it", async () => {
    const { schema, names, executor, other, otherPid } = await setUp();
    await migrate(executor, names);
    // A migration that locks queue_items, then (once the test lets it) workflows: the order
    // 0016 took them in. Between the two, the live engine's transaction takes workflows and
    // waits for queue_items; the migration then waits last, so its deadlock check finds the
    // cycle (the engine's connection never checks) and Postgres cancels the migration.
    const gate = [0x74657374, 1] as const;
    const lockOrder: EmbeddedMigration = {
      version: embeddedMigrations.length + 1,
      name: "locks_in_the_wrong_order",
      sql: `lock table {{schema}}.queue_items in access exclusive mode;
            select pg_advisory_xact_lock(${gate[0]}, ${gate[1]});
            lock table {{schema}}.workflows in access exclusive mode;`,
    };
    const gateHolder = await connection();
    await gateHolder`select pg_advisory_lock(${gate[0]}::int, ${gate[1]}::int)`;
    await other`set deadlock_timeout = '1h'`;
    await other`begin`;
    await other.unsafe(`lock table "${schema}".workflows in access share mode`);

    const retries: unknown[] = [];
    const migrating = migrate(executor, names, [...embeddedMigrations, lockOrder], {
      lockTimeoutMs: 600_000,
      retryDelayMs: 0,
      onRetry: async (error) => {
        retries.push((error as { code?: string }).code);
        await other`rollback`;
      },
    });
    await waitsFor("locktype = 'advisory' and classid = $1 and objid = $2", [gate[0], gate[1]]);
    const otherReads = other.unsafe(`select count(*) from "${schema}".queue_items`).execute();
    await waitsFor("pid = $1", [otherPid]);
    await gateHolder`select pg_advisory_unlock(${gate[0]}::int, ${gate[1]}::int)`;

    await migrating;
    await otherReads;
    expect(retries).toEqual(["40P01"]);
    expect(await applied(schema)).toEqual([...embeddedMigrations, lockOrder].map((m) => m.version));
  });
});
