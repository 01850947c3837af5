/**
 * What the engine-level tests (communication, control) need from a backend: a fresh schema per
 * test on the Postgres server or in the file's shared PGlite, any number of independent stores on
 * it (each one a separate connection: "another process" as far as notifications go), raw SQL to
 * look at the tables, and a store wrapper that tells a test when a waiter has looked, found
 * nothing, and is about to wait — so a test sends exactly then, without sleeping.
 */
import type { Logger, WorkflowStore } from "@cairn/core";
import type { PGlite } from "@electric-sql/pglite";
import type postgres from "postgres";
import { createPgStore, createPgliteStore } from "../../src/index.js";
import { afterAll, afterEach, beforeAll } from "vitest";
import { adminSql, databaseUrl, openSharedPglite, uniqueSchema } from "./databases.js";

/** One test's database. */
export interface TestDatabase {
  readonly schema: string;
  /** A new store on this database; its own connection(s) and its own notification listener. */
  store(): WorkflowStore;
  /** Runs SQL in which `{{schema}}` stands for this test's (quoted) schema; returns the rows. */
  query<T extends Record<string, unknown>>(text: string): Promise<T[]>;
  /**
   * Runs `fn` in a transaction of the driver's own (postgres.js `TransactionSql`, PGlite
   * `Transaction`) on this database, as an application would; commits unless `fn` throws.
   */
  transaction<T>(fn: (tx: unknown, schema: string) => Promise<T>): Promise<T>;
  drop(): Promise<void>;
}

/** A backend the suites loop over. */
export interface EngineBackend {
  readonly name: string;
  readonly skip: boolean;
  /** Opens what the whole file shares (an admin connection, one PGlite). */
  open(): Promise<void>;
  close(): Promise<void>;
  database(): TestDatabase;
}

const substitute = (text: string, schema: string) => text.replaceAll("{{schema}}", `"${schema}"`);

function postgresBackend(): EngineBackend {
  let admin: postgres.Sql | undefined;
  return {
    name: "Postgres",
    skip: !databaseUrl,
    open: () => {
      admin = adminSql();
      return Promise.resolve();
    },
    close: async () => {
      await admin?.end();
    },
    database() {
      const sql = admin;
      if (!sql) throw new Error("open() the backend first");
      const schema = uniqueSchema();
      return {
        schema,
        store: () => createPgStore({ url: databaseUrl, schema, max: 4 }),
        query: async <T>(text: string) =>
          (await sql.unsafe(substitute(text, schema))) as unknown as T[],
        transaction: async <T>(fn: (tx: unknown, schema: string) => Promise<T>) =>
          (await sql.begin((tx) => fn(tx, schema))) as T,
        drop: async () => {
          await sql.unsafe(`drop schema if exists "${schema}" cascade`);
        },
      };
    },
  };
}

function pgliteBackend(): EngineBackend {
  let shared: { db: PGlite; close: () => Promise<void> } | undefined;
  return {
    name: "PGlite",
    skip: false,
    open: async () => {
      shared = await openSharedPglite();
    },
    close: async () => {
      await shared?.close();
    },
    database() {
      const db = shared?.db;
      if (!db) throw new Error("open() the backend first");
      const schema = uniqueSchema();
      return {
        schema,
        // Stores given `db` share the instance and its in-process LISTEN/NOTIFY; close() leaves it open.
        store: () => createPgliteStore({ db, schema }),
        query: async <T>(text: string) => (await db.query<T>(substitute(text, schema))).rows,
        transaction: <T>(fn: (tx: unknown, schema: string) => Promise<T>) =>
          db.transaction((tx) => fn(tx, schema)),
        drop: async () => {
          await db.exec(`drop schema if exists "${schema}" cascade`);
        },
      };
    },
  };
}

/** Postgres (skipped without a server) and PGlite (one instance per test file). */
export const engineBackends: readonly EngineBackend[] = [postgresBackend(), pgliteBackend()];

/** A logger that keeps quiet: the tests assert on behaviour, not on log lines. */
export const quietLogger: Logger = {
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
};

type Watched = "consumeMessage" | "getEvent" | "readStream" | "getWorkflow";

/**
 * `store` with a hook: `lookedAndWaits(method)` resolves after the next call of `method` that
 * found nothing (no message, no event, no new stream entry) or, for `getWorkflow`, that a stream
 * reader makes before waiting. The waiter registers for its wake-up right after that call.
 */
export function watched(store: WorkflowStore): {
  store: WorkflowStore;
  lookedAndWaits(method: Watched): Promise<void>;
} {
  const waiters = new Map<Watched, (() => void)[]>();
  const after = (method: Watched, found: boolean) => {
    if (found) return;
    const list = waiters.get(method) ?? [];
    waiters.set(method, []);
    for (const resolve of list) resolve();
  };
  return {
    store: {
      ...store,
      consumeMessage: async (topic, step) => {
        const result = await store.consumeMessage(topic, step);
        after("consumeMessage", result !== undefined);
        return result;
      },
      getEvent: async (workflowId, key) => {
        const result = await store.getEvent(workflowId, key);
        after("getEvent", result !== undefined);
        return result;
      },
      readStream: async (workflowId, key, offset, limit) => {
        const result = await store.readStream(workflowId, key, offset, limit);
        after("readStream", result.length > 0);
        return result;
      },
      getWorkflow: async (workflowId) => {
        const result = await store.getWorkflow(workflowId);
        after("getWorkflow", false);
        return result;
      },
    },
    lookedAndWaits: (method) =>
      new Promise<void>((resolve) => {
        waiters.set(method, [...(waiters.get(method) ?? []), resolve]);
      }),
  };
}

/** Things to close after a test, in reverse order of opening. */
export class Closers {
  private readonly closers: (() => Promise<unknown>)[] = [];

  add<T>(thing: T, close: (thing: T) => Promise<unknown>): T {
    this.closers.push(() => close(thing));
    return thing;
  }

  async closeAll(): Promise<void> {
    for (const close of this.closers.splice(0).reverse()) await close();
  }
}

/**
 * The hooks of a suite whose tests each get a database of their own on `backend`: the backend is
 * open for the whole file, and after each test what it added to `closers` is closed, then its
 * database (`current()`, when the test made one) is dropped.
 */
export function databasePerTest(
  backend: Pick<EngineBackend, "open" | "close">,
  closers: Closers,
  current: () => Pick<TestDatabase, "drop"> | undefined,
): void {
  beforeAll(() => backend.open());
  afterAll(() => backend.close());
  afterEach(async () => {
    await closers.closeAll();
    await current()?.drop();
  });
}
