/**
 * vitest globalSetup for pg-store: finds the Postgres server the suites run against and builds
 * one PGlite template data directory that test files copy instead of running initdb each time
 * (initdb in WASM costs about 4 s and 700 MB). Provides `databaseUrl` (undefined: no server, the
 * Postgres suites skip) and `pgliteTemplate`.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PGlite } from "@electric-sql/pglite";
import postgres from "postgres";
import type { TestProject } from "vitest/node";

declare module "vitest" {
  export interface ProvidedContext {
    /** URL of a reachable Postgres server, or undefined when none is (Postgres suites skip). */
    databaseUrl: string | undefined;
    /** A PGlite data directory after initdb, to copy with `fs.cpSync`; never open it in place. */
    pgliteTemplate: string;
  }
}

const LOCAL_URL = "postgres://postgres@127.0.0.1:5432/test";

/** Why `url` cannot be queried, or undefined when it can. */
async function probe(url: string): Promise<string | undefined> {
  const sql = postgres(url, { max: 1, connect_timeout: 3, onnotice: () => {} });
  try {
    await sql`select 1`;
    return undefined;
  } catch (error) {
    return error instanceof Error ? error.message || error.name : JSON.stringify(error);
  } finally {
    await sql.end({ timeout: 1 });
  }
}

async function findPostgres(): Promise<string | undefined> {
  const given = process.env["DATABASE_URL"];
  if (given) {
    const error = await probe(given);
    if (error) throw new Error(`DATABASE_URL is set but unreachable: ${error}`);
    return given;
  }
  const error = await probe(LOCAL_URL);
  if (!error) return LOCAL_URL;
  if (process.env["CAIRN_REQUIRE_POSTGRES"] === "1") {
    throw new Error(
      `CAIRN_REQUIRE_POSTGRES=1 but no Postgres at ${LOCAL_URL} (${error}); set DATABASE_URL`,
    );
  }
  console.warn(`pg-store: no Postgres at ${LOCAL_URL}; Postgres suites are skipped`);
  return undefined;
}

export default async function setup(project: TestProject): Promise<() => void> {
  const [databaseUrl, template] = await Promise.all([findPostgres(), makePgliteTemplate()]);
  project.provide("databaseUrl", databaseUrl);
  project.provide("pgliteTemplate", template.path);
  return template.remove;
}

async function makePgliteTemplate(): Promise<{ path: string; remove: () => void }> {
  const root = mkdtempSync(join(tmpdir(), "cairn-pglite-template-"));
  const path = join(root, "data");
  const db = await PGlite.create({ dataDir: path });
  await db.close();
  return { path, remove: () => rmSync(root, { recursive: true, force: true }) };
}
