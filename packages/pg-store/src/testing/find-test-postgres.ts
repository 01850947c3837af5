/**
 * Finds a Postgres server for tests, in a fixed order: `DATABASE_URL` when set (unreachable is an
 * error, never a silent fallback); else the local server at 127.0.0.1:5432 when it answers; else a
 * throwaway Testcontainers Postgres when a container engine is reachable and
 * `@testcontainers/postgresql` (11.x) is installed; else none. "None" is one clear line and
 * `undefined` (the caller skips its Postgres tests) — or, under `CAIRN_REQUIRE_POSTGRES=1` (as CI
 * runs), a `TestPostgresUnavailableError` listing why each source was passed over. It provisions a
 * server only; schemas per test come from `freshTestSchema`.
 */
import { existsSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import postgres from "postgres";
import { TestPostgresUnavailableError } from "./errors.js";

/** A Postgres server a test suite may use. */
export interface TestPostgres {
  /** Connection URL. */
  readonly url: string;
  /** Where it came from. */
  readonly source: "DATABASE_URL" | "local" | "testcontainers";
  /** Stops what this call started (the container); a no-op for servers it did not start. */
  stop(): Promise<void>;
}

/** Options of {@link findTestPostgres}; every one has a default. */
export interface FindTestPostgresOptions {
  /** The environment to read `DATABASE_URL` and `CAIRN_REQUIRE_POSTGRES` from. Default `process.env`. */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** The local server to try. Default `postgres://postgres@127.0.0.1:5432/postgres`. */
  readonly localUrl?: string;
  /** Throw instead of returning undefined. Default: `CAIRN_REQUIRE_POSTGRES === "1"`. */
  readonly require?: boolean;
  /** The container image. Default `postgres:16-alpine`. */
  readonly image?: string;
  /** Where the one "skipping" line goes. Default `console.warn`. */
  readonly log?: (line: string) => void;
}

const DEFAULT_LOCAL_URL = "postgres://postgres@127.0.0.1:5432/postgres";
const TESTCONTAINERS_MODULE = "@testcontainers/postgresql";

/**
 * The first reachable Postgres for tests, or undefined (after one line saying why) when there is
 * none and none is required.
 *
 * @example
 * // vitest globalSetup
 * export default async function setup(project: TestProject) {
 *   const pg = await findTestPostgres();
 *   project.provide("databaseUrl", pg?.url);
 *   return () => pg?.stop();
 * }
 * @throws TestPostgresUnavailableError when `DATABASE_URL` is set but unreachable, or when none
 *   is found and one is required.
 */
export async function findTestPostgres(
  options: FindTestPostgresOptions = {},
): Promise<TestPostgres | undefined> {
  const env = options.env ?? process.env;
  const given = env["DATABASE_URL"];
  if (given) {
    const error = await probe(given);
    if (error)
      throw new TestPostgresUnavailableError([`DATABASE_URL is set but unreachable: ${error}`]);
    return { url: given, source: "DATABASE_URL", stop: () => Promise.resolve() };
  }
  const localUrl = options.localUrl ?? DEFAULT_LOCAL_URL;
  const localError = await probe(localUrl);
  if (!localError) return { url: localUrl, source: "local", stop: () => Promise.resolve() };
  const reasons = [`no server at ${redact(localUrl)} (${localError})`];
  const container = await startContainer(options.image ?? "postgres:16-alpine", env);
  if (typeof container !== "string") return container;
  reasons.push(container);
  const unavailable = new TestPostgresUnavailableError(reasons);
  if (options.require ?? env["CAIRN_REQUIRE_POSTGRES"] === "1") throw unavailable;
  (options.log ?? console.warn)(`${unavailable.message}; skipping the Postgres tests`);
  return undefined;
}

/** Why `url` cannot run `select 1`, or undefined when it can. */
async function probe(url: string): Promise<string | undefined> {
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

/** Whether a container engine looks reachable: `DOCKER_HOST`, or a Docker or Podman socket. */
export function containerEngineReachable(
  env: Readonly<Record<string, string | undefined>> = process.env,
): boolean {
  if (env["DOCKER_HOST"]) return true;
  const uid = typeof process.getuid === "function" ? process.getuid() : undefined;
  const sockets = [
    "/var/run/docker.sock",
    join(homedir(), ".docker", "run", "docker.sock"),
    "/run/podman/podman.sock",
    ...(uid === undefined
      ? []
      : [`/run/user/${uid}/docker.sock`, `/run/user/${uid}/podman/podman.sock`]),
  ];
  return sockets.some((socket) => existsSync(socket));
}

/** Minimal shape of `@testcontainers/postgresql` this module uses (it is an optional peer). */
interface TestcontainersModule {
  PostgreSqlContainer: new (image: string) => {
    start(): Promise<{ getConnectionUri(): string; stop(): Promise<unknown> }>;
  };
}

/** A started container, or why none could be started. */
async function startContainer(
  image: string,
  env: Readonly<Record<string, string | undefined>>,
): Promise<TestPostgres | string> {
  if (!containerEngineReachable(env)) {
    return "no container engine reachable (no DOCKER_HOST, no Docker or Podman socket)";
  }
  let module: TestcontainersModule;
  try {
    module = (await import(TESTCONTAINERS_MODULE)) as TestcontainersModule;
  } catch {
    return `a container engine is reachable but ${TESTCONTAINERS_MODULE}@11 is not installed`;
  }
  try {
    const started = await new module.PostgreSqlContainer(image).start();
    return {
      url: started.getConnectionUri(),
      source: "testcontainers",
      stop: async () => {
        await started.stop();
      },
    };
  } catch (error) {
    return `Testcontainers could not start ${image}: ${error instanceof Error ? error.message : String(error)}`;
  }
}

/** `url` without its password, for messages. */
function redact(url: string): string {
  return url.replace(/(\/\/[^:/@]+):[^@]*@/, "$1:***@");
}
