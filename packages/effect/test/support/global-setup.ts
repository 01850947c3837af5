/**
 * vitest globalSetup for @cairn/effect: finds the Postgres server the suites run against and
 * builds one PGlite template data directory that tests copy instead of running initdb again.
 * Provides `databaseUrl` (undefined: no server, the Postgres suites skip) and `pgliteTemplate`.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PGlite } from "@electric-sql/pglite";
import postgres from "postgres";
import type { TestProject } from "vitest/node";

declare module "vitest" {
  export interface ProvidedContext {
    databaseUrl: string | undefined;
    pgliteTemplate: string;
  }
}

const LOCAL_URL = "postgres://postgres@127.0.0.1:5432/test";

async function reachable(url: string): Promise<string | undefined> {
  const sql = postgres(url, { max: 1, connect_timeout: 3, onnotice: () => {} });
  try {
    await sql`select 1`;
    return undefined;
  } catch (error) {
    return error instanceof Error ? error.message || error.name : String(error);
  } finally {
    await sql.end({ timeout: 1 });
  }
}

async function findPostgres(): Promise<string | undefined> {
  const url = process.env["DATABASE_URL"] ?? LOCAL_URL;
  const error = await reachable(url);
  if (!error) return url;
  if (process.env["DATABASE_URL"] || process.env["CAIRN_REQUIRE_POSTGRES"] === "1") {
    throw new Error(`no Postgres at ${url}: ${error}`);
  }
  console.warn(`@cairn/effect: no Postgres at ${url}; Postgres suites are skipped`);
  return undefined;
}

export default async function setup(project: TestProject): Promise<() => void> {
  const root = mkdtempSync(join(tmpdir(), "cairn-effect-template-"));
  const [databaseUrl] = await Promise.all([
    findPostgres(),
    PGlite.create({ dataDir: join(root, "data") }).then((db) => db.close()),
  ]);
  project.provide("databaseUrl", databaseUrl);
  project.provide("pgliteTemplate", join(root, "data"));
  return () => rmSync(root, { recursive: true, force: true });
}
