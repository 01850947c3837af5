import { createServer } from "node:net";
import { afterEach, describe, expect, it, vi } from "vitest";
import {
  containerEngineReachable,
  findTestPostgres,
  TestPostgresUnavailableError,
} from "../../src/testing/index.js";
import { databaseUrl } from "../support/databases.js";

/** A loopback URL on a port nobody listens on: connecting is refused at once. */
async function refusedUrl(): Promise<string> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === "string") throw new Error("no port");
  return `postgres://postgres@127.0.0.1:${address.port}/postgres`;
}

const noEngineHere = !containerEngineReachable({});

afterEach(() => {
  vi.unstubAllEnvs();
});

describe("findTestPostgres", () => {
  it.skipIf(!databaseUrl)("takes DATABASE_URL first when it answers", async () => {
    const found = await findTestPostgres({
      env: { DATABASE_URL: databaseUrl },
      localUrl: await refusedUrl(),
    });
    expect(found).toMatchObject({ url: databaseUrl, source: "DATABASE_URL" });
  });

  it("fails loudly when DATABASE_URL is set but unreachable, instead of falling back", async () => {
    const url = await refusedUrl();
    const error: unknown = await findTestPostgres({
      env: { DATABASE_URL: url },
      localUrl: databaseUrl ?? url,
    }).catch((caught: unknown) => caught);
    expect(TestPostgresUnavailableError.is(error)).toBe(true);
    expect((error as TestPostgresUnavailableError).reasons[0]).toMatch(
      /DATABASE_URL is set but unreachable/,
    );
  });

  it.skipIf(!databaseUrl)("takes the local server when DATABASE_URL is not set", async () => {
    const found = await findTestPostgres({ env: {}, localUrl: String(databaseUrl) });
    expect(found).toMatchObject({ url: databaseUrl, source: "local" });
    await found?.stop();
  });

  it.skipIf(!noEngineHere)(
    "skips with one line naming each source when nothing is reachable",
    async () => {
      const lines: string[] = [];
      const found = await findTestPostgres({
        env: {},
        localUrl: await refusedUrl(),
        log: (line) => lines.push(line),
      });
      expect(found).toBeUndefined();
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(/no server at postgres:\/\/postgres@127\.0\.0\.1:\d+\/postgres/);
      expect(lines[0]).toMatch(/no container engine reachable/);
      expect(lines[0]).toMatch(/skipping the Postgres tests/);
    },
  );

  it.skipIf(!noEngineHere)(
    "throws instead of skipping under CAIRN_REQUIRE_POSTGRES=1",
    async () => {
      const error: unknown = await findTestPostgres({
        env: { CAIRN_REQUIRE_POSTGRES: "1" },
        localUrl: await refusedUrl(),
        log: () => undefined,
      }).catch((caught: unknown) => caught);
      expect(TestPostgresUnavailableError.is(error)).toBe(true);
      expect((error as TestPostgresUnavailableError).reasons).toHaveLength(2);
    },
  );

  it("reports a container engine that does not answer as a clear reason, not a hang", async () => {
    // testcontainers reads DOCKER_HOST itself; point it at a loopback port that refuses.
    const engine = (await refusedUrl())
      .replace(/^postgres:\/\/postgres@/, "tcp://")
      .replace(/\/postgres$/, "");
    vi.stubEnv("DOCKER_HOST", engine);
    const error: unknown = await findTestPostgres({
      env: { DOCKER_HOST: engine },
      localUrl: await refusedUrl(),
      require: true,
    }).catch((caught: unknown) => caught);
    expect(TestPostgresUnavailableError.is(error)).toBe(true);
    expect((error as TestPostgresUnavailableError).reasons[1]).toMatch(
      /Testcontainers could not start postgres:16-alpine/,
    );
  });
});
