/**
 * The stores a test can run against: the memory store, PGlite on a fresh copy of the template
 * data directory, and a fresh schema on the Postgres server (skipped when there is none). Each
 * `database()` is one database; `store()` opens a new store on it, as a restarted process would.
 */
import { cpSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { WorkflowStore } from "@cairn/core";
import { createMemoryStore } from "@cairn/core/testing";
import { createPgStore, createPgliteStore } from "@cairn/pg-store";
import { PGlite } from "@electric-sql/pglite";
import postgres from "postgres";
import { inject } from "vitest";

export const databaseUrl: string | undefined = inject("databaseUrl");

export interface TestDatabase {
  /** What a child process needs to open the same database: `pglite:<dir>` or `postgres:<schema>`. */
  readonly address: string;
  store(): WorkflowStore;
  drop(): Promise<void>;
}

export interface Backend {
  readonly name: string;
  readonly skip: boolean;
  open(): Promise<void>;
  close(): Promise<void>;
  database(): TestDatabase;
}

let sharedPglite: { db: PGlite; root: string } | undefined;

/** Fresh schemas in one PGlite per test file (opening a PGlite costs seconds). */
export const pgliteBackend: Backend = {
  name: "PGlite",
  skip: false,
  async open() {
    const root = mkdtempSync(join(tmpdir(), "cairn-effect-"));
    cpSync(inject("pgliteTemplate"), join(root, "data"), { recursive: true });
    sharedPglite = { db: await PGlite.create({ dataDir: join(root, "data") }), root };
  },
  async close() {
    await sharedPglite?.db.close();
    if (sharedPglite) rmSync(sharedPglite.root, { recursive: true, force: true });
  },
  database() {
    const db = sharedPglite?.db;
    if (!db) throw new Error("open() the PGlite backend first");
    const schema = uniqueSchema();
    return {
      address: `pglite-shared:${schema}`,
      store: () => createPgliteStore({ db, schema }),
      drop: async () => {
        await db.exec(`drop schema if exists "${schema}" cascade`);
      },
    };
  },
};

/** A fresh PGlite data directory, as a separate process opens it (for crash tests). */
export function pgliteDataDir(): { address: string; remove: () => void } {
  const root = mkdtempSync(join(tmpdir(), "cairn-effect-"));
  cpSync(inject("pgliteTemplate"), join(root, "data"), { recursive: true });
  return {
    address: `pglite:${join(root, "data")}`,
    remove: () => rmSync(root, { recursive: true, force: true }),
  };
}

const uniqueSchema = () => `t_${Math.random().toString(36).slice(2, 12)}`;

export const postgresBackend: Backend = {
  name: "Postgres",
  skip: databaseUrl === undefined,
  open: () => Promise.resolve(),
  close: () => Promise.resolve(),
  database() {
    const schema = uniqueSchema();
    return {
      address: `postgres:${schema}`,
      store: () => createPgStore({ url: databaseUrl, schema, max: 4 }),
      drop: async () => {
        const sql = postgres(databaseUrl ?? "", { max: 1, onnotice: () => {} });
        await sql.unsafe(`drop schema if exists "${schema}" cascade`);
        await sql.end();
      },
    };
  },
};

/** One memory store shared by every `store()` call (closing it is ignored until `drop`). */
export const memoryBackend: Backend = {
  name: "memory",
  skip: false,
  open: () => Promise.resolve(),
  close: () => Promise.resolve(),
  database() {
    const shared = createMemoryStore();
    const store: WorkflowStore = { ...shared, close: () => Promise.resolve() };
    return { address: "memory", store: () => store, drop: () => shared.close() };
  },
};
