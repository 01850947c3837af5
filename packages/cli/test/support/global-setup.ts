/**
 * vitest globalSetup for the CLI: the tests run the BUILT binary, so it must exist (the root
 * `pnpm test` builds first); and they need the Postgres server (`DATABASE_URL`, else the local
 * one; with CAIRN_REQUIRE_POSTGRES=1 a missing server fails instead of skipping).
 */
import { existsSync } from "node:fs";
import postgres from "postgres";
import type { TestProject } from "vitest/node";
import { CAIRN_BIN } from "./cli.js";

declare module "vitest" {
  export interface ProvidedContext {
    /** URL of a reachable Postgres server, or undefined when none is (Postgres suites skip). */
    databaseUrl: string | undefined;
  }
}

const LOCAL_URL = "postgres://postgres@127.0.0.1:5432/test";

async function reachable(url: string): Promise<string | undefined> {
  const sql = postgres(url, { max: 1, connect_timeout: 3, onnotice: () => {} });
  try {
    await sql`select 1`;
    return undefined;
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  } finally {
    await sql.end({ timeout: 1 });
  }
}

export default async function setup(project: TestProject): Promise<void> {
  if (!existsSync(CAIRN_BIN)) {
    throw new Error(`${CAIRN_BIN} is missing: run pnpm run build before the CLI tests`);
  }
  const url = process.env["DATABASE_URL"] || LOCAL_URL;
  const problem = await reachable(url);
  if (problem && (process.env["DATABASE_URL"] || process.env["CAIRN_REQUIRE_POSTGRES"] === "1")) {
    throw new Error(`no Postgres at ${url}: ${problem}`);
  }
  project.provide("databaseUrl", problem ? undefined : url);
}
