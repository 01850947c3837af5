/**
 * vitest globalSetup for @cairn/effect: finds the Postgres server the suites run against (with
 * `@cairn/pg-store/testing`'s `findTestPostgres`, the order every Cairn package uses) and
 * builds one PGlite template data directory that tests copy instead of running initdb again.
 * Provides `databaseUrl` (undefined: no server, the Postgres suites skip) and `pgliteTemplate`.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PGlite } from "@electric-sql/pglite";
import { findTestPostgres } from "@cairn/pg-store/testing";
import type { TestProject } from "vitest/node";

declare module "vitest" {
  export interface ProvidedContext {
    databaseUrl: string | undefined;
    pgliteTemplate: string;
  }
}

const LOCAL_URL = "postgres://postgres@127.0.0.1:5432/test";

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const root = mkdtempSync(join(tmpdir(), "cairn-effect-template-"));
  const [server] = await Promise.all([
    findTestPostgres({
      localUrl: LOCAL_URL,
      log: (line) => console.warn(`@cairn/effect: ${line}`),
    }),
    PGlite.create({ dataDir: join(root, "data") }).then((db) => db.close()),
  ]);
  project.provide("databaseUrl", server?.url);
  project.provide("pgliteTemplate", join(root, "data"));
  return async () => {
    rmSync(root, { recursive: true, force: true });
    await server?.stop();
  };
}
