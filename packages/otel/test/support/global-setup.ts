/**
 * vitest globalSetup for @cairn/otel: finds the Postgres server the crash test runs against
 * (`DATABASE_URL`, the local server, Testcontainers, else a skip; a failure under
 * CAIRN_REQUIRE_POSTGRES=1) and provides its URL as `databaseUrl`.
 */
import type { TestProject } from "vitest/node";
import { findTestPostgres } from "@cairn/pg-store/testing";

declare module "vitest" {
  export interface ProvidedContext {
    /** URL of a reachable Postgres server, or undefined when none is (Postgres tests skip). */
    databaseUrl: string | undefined;
  }
}

const LOCAL_URL = "postgres://postgres@127.0.0.1:5432/test";

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const server = await findTestPostgres({
    localUrl: LOCAL_URL,
    log: (line) => console.warn(`otel: ${line}`),
  });
  project.provide("databaseUrl", server?.url);
  return async () => {
    await server?.stop();
  };
}
