/**
 * What a pg-store test needs to get a database of its own: a fresh schema on the real server
 * (dropped afterwards), a copy of the PGlite template, and one shared PGlite per test file.
 */
import { cpSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PGlite } from "@electric-sql/pglite";
import postgres from "postgres";
import { inject } from "vitest";

/** The server URL, or undefined when the Postgres suites should skip. */
export const databaseUrl: string | undefined = inject("databaseUrl");

/** A schema name no other test uses: `t_<random>`. */
export function uniqueSchema(): string {
  return `t_${Math.random().toString(36).slice(2, 12)}`;
}

/** An admin connection to the test server, for creating and dropping schemas. */
export function adminSql(): postgres.Sql {
  if (!databaseUrl) throw new Error("no Postgres server for this test");
  return postgres(databaseUrl, { max: 2, onnotice: () => {} });
}

/** Drops `schema` and everything in it. */
export async function dropSchema(sql: postgres.Sql, schema: string): Promise<void> {
  await sql.unsafe(`drop schema if exists "${schema}" cascade`);
}

/** A fresh schema name on the server plus the function that drops it. */
export function freshSchema(sql: postgres.Sql): { schema: string; drop: () => Promise<void> } {
  const schema = uniqueSchema();
  return { schema, drop: () => dropSchema(sql, schema) };
}

/** A new temporary directory and its remover. */
export function tempDir(prefix: string): { path: string; remove: () => void } {
  const path = mkdtempSync(join(tmpdir(), `cairn-${prefix}-`));
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) };
}

/** Copies the PGlite template (initdb already done) to `<dir>/data` and returns that path. */
export function copyPgliteTemplate(dir: string): string {
  const target = join(dir, "data");
  cpSync(inject("pgliteTemplate"), target, { recursive: true });
  return target;
}

/** Opens one PGlite on a fresh copy of the template: share it across a test file. */
export async function openSharedPglite(): Promise<{ db: PGlite; close: () => Promise<void> }> {
  const dir = tempDir("pglite");
  const db = await PGlite.create({ dataDir: copyPgliteTemplate(dir.path) });
  return {
    db,
    close: async () => {
      await db.close();
      dir.remove();
    },
  };
}
