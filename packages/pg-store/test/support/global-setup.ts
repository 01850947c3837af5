/**
 * vitest globalSetup for pg-store: finds the Postgres server the suites run against (in
 * `findTestPostgres`'s order: DATABASE_URL, the local server, Testcontainers, else a skip) and
 * builds one PGlite template data directory that test files copy instead of running initdb each
 * time (initdb in WASM costs about 4 s and 700 MB). Provides `databaseUrl` (undefined: no server,
 * the Postgres suites skip) and `pgliteTemplate`.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PGlite } from "@electric-sql/pglite";
import type { TestProject } from "vitest/node";
import { findTestPostgres } from "../../src/testing/index.js";

declare module "vitest" {
  export interface ProvidedContext {
    /** URL of a reachable Postgres server, or undefined when none is (Postgres suites skip). */
    databaseUrl: string | undefined;
    /** A PGlite data directory after initdb, to copy with `fs.cpSync`; never open it in place. */
    pgliteTemplate: string;
  }
}

const LOCAL_URL = "postgres://postgres@127.0.0.1:5432/test";

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const [postgresServer, template] = await Promise.all([
    findTestPostgres({ localUrl: LOCAL_URL, log: (line) => console.warn(`pg-store: ${line}`) }),
    makePgliteTemplate(),
  ]);
  project.provide("databaseUrl", postgresServer?.url);
  project.provide("pgliteTemplate", template.path);
  return async () => {
    template.remove();
    await postgresServer?.stop();
  };
}

async function makePgliteTemplate(): Promise<{ path: string; remove: () => void }> {
  const root = mkdtempSync(join(tmpdir(), "cairn-pglite-template-"));
  const path = join(root, "data");
  const db = await PGlite.create({ dataDir: path });
  await db.close();
  return { path, remove: () => rmSync(root, { recursive: true, force: true }) };
}
