/**
 * `@cairn/pg-store/testing`: a Postgres for your own tests, found the way Cairn's tests find
 * theirs (`DATABASE_URL`, the local server, Testcontainers, or a clear skip), and a schema per
 * test. See docs/testing.md.
 */
export {
  findTestPostgres,
  containerEngineReachable,
  type TestPostgres,
  type FindTestPostgresOptions,
} from "./find-test-postgres.js";
export { freshTestSchema, type TestSchema } from "./fresh-test-schema.js";
export { TestPostgresUnavailableError } from "./errors.js";
