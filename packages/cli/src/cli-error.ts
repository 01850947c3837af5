/**
 * How the `cairn` command fails: a `CliError` carries the one line printed on stderr and the
 * exit code scripts branch on. Errors from the packages underneath (a missing workflow, a
 * refused connection) are turned into these in one place, `toCliError`, so every command fails
 * the same way.
 */
import { CairnError, InvalidOptionError, WorkflowNotFoundError } from "@cairn/core";
import { DataDirLockedError, SchemaNameInvalidError } from "@cairn/pg-store";

/** The exit codes of `cairn`; documented in docs/operations.md. */
export const EXIT = {
  ok: 0,
  /** The operation failed (a database error, an invalid transition). */
  failed: 1,
  /** Bad command line: unknown command or option, missing or malformed argument. */
  usage: 2,
  /** No workflow with the given ID. */
  notFound: 3,
  /** The database could not be reached, or the URL is malformed, or the data dir is locked. */
  unreachable: 4,
  /** The schema is missing or behind this version of cairn: run `cairn migrate`. */
  schema: 5,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** A failure with its message for stderr and its exit code. */
export class CliError extends Error {
  override readonly name = "CliError";
  readonly exitCode: ExitCode;

  constructor(message: string, exitCode: ExitCode) {
    super(message);
    this.exitCode = exitCode;
  }
}

/** A usage error: the message names the bad argument and ends with a hint at `--help`. */
export const usageError = (message: string, command = ""): CliError =>
  new CliError(`${message} (see cairn ${command ? `${command} ` : ""}--help)`, EXIT.usage);

/** Classifies any error thrown by a command. */
export function toCliError(error: unknown): CliError {
  if (error instanceof CliError) return error;
  if (WorkflowNotFoundError.is(error)) return new CliError(error.message, EXIT.notFound);
  if (InvalidOptionError.is(error) || SchemaNameInvalidError.is(error)) {
    return new CliError(error.message, EXIT.usage);
  }
  if (DataDirLockedError.is(error)) return new CliError(error.message, EXIT.unreachable);
  if (isConnectionFailure(error)) {
    return new CliError(`cannot reach the database: ${describe(error)}`, EXIT.unreachable);
  }
  if (CairnError.is(error)) return new CliError(error.message, EXIT.failed);
  return new CliError(describe(error), EXIT.failed);
}

const CONNECTION_CODES = new Set([
  "ECONNREFUSED",
  "ENOTFOUND",
  "EAI_AGAIN",
  "ETIMEDOUT",
  "ECONNRESET",
  "EHOSTUNREACH",
  "CONNECT_TIMEOUT",
  "CONNECTION_CLOSED",
  "CONNECTION_DESTROYED",
  "CONNECTION_ENDED",
  "STORE_UNAVAILABLE",
  "28P01", // invalid password
  "28000", // no such role / pg_hba refusal
  "3D000", // no such database
]);

function isConnectionFailure(error: unknown): boolean {
  const code = (error as { code?: unknown } | undefined)?.code;
  if (typeof code === "string" && CONNECTION_CODES.has(code)) return true;
  const cause = (error as { cause?: unknown } | undefined)?.cause;
  return cause !== undefined && cause !== error && isConnectionFailure(cause);
}

/** The most useful single line of an error: its message, else its code, else its name. */
function describe(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = error.cause instanceof Error ? error.cause : undefined;
  const base = error.message || (error as { code?: string }).code || error.name;
  if (cause && !base.includes(cause.message)) return `${base}: ${cause.message}`;
  return base.split("\n")[0] ?? base;
}
