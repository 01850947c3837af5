/** The error `@cairn/pg-store/testing` throws when a test run needs Postgres and finds none. */

/** No Postgres for the tests: `reasons` says why each source was passed over. */
export class TestPostgresUnavailableError extends Error {
  override readonly name = "TestPostgresUnavailableError";
  readonly code = "TEST_POSTGRES_UNAVAILABLE";

  /** One line per source tried (DATABASE_URL, the local server, Testcontainers). */
  readonly reasons: readonly string[];

  constructor(reasons: readonly string[]) {
    super(`no Postgres for tests: ${reasons.join("; ")}`);
    this.reasons = reasons;
  }

  /** True for this error, also when thrown by a second copy of the package. */
  static is(error: unknown): error is TestPostgresUnavailableError {
    return (
      error instanceof Error && (error as { code?: unknown }).code === "TEST_POSTGRES_UNAVAILABLE"
    );
  }
}
