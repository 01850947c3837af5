/**
 * Opens what every command works through: a Cairn store on Postgres (`--url`, else
 * `DATABASE_URL`) or on a PGlite data directory (`--pglite`), core's client over it, the
 * read-only inspector and the queue store. Before a command runs it checks that the schema
 * exists and is not behind this version of cairn, so a wrong `--schema` or a database never
 * migrated fails with one clear line instead of a SQL error. It never migrates on its own.
 */
import { createClient, type Client, type Logger } from "@cairn/core";
import {
  cairnClientOptions,
  createPgStore,
  createPgliteStore,
  type PgStore,
} from "@cairn/pg-store";
import { createPgInspector, type PgInspector, type SchemaStatus } from "@cairn/pg-store/inspect";
import { createPgQueueStore } from "@cairn/pg-store/queue";
import type { QueueStore } from "@cairn/queue";
import postgres from "postgres";
import { CliError, EXIT, toCliError, usageError } from "./cli-error.js";

/** Where the database is, as given on the command line. */
export interface ConnectionOptions {
  readonly url?: string | undefined;
  readonly pglite?: string | undefined;
  readonly schema?: string | undefined;
}

/** An open connection to one Cairn schema. */
export interface Connection {
  readonly store: PgStore;
  readonly client: Client;
  readonly inspector: PgInspector;
  readonly queues: QueueStore;
  /** Where it points, without a password: for messages. */
  readonly target: string;
  close(): Promise<void>;
}

/** Silent: the CLI reports problems itself, never through the engine's log lines. */
const quiet: Logger = { debug() {}, info() {}, warn() {}, error() {} };

/** Opens the store; with `requireSchema`, fails unless the schema is current (or newer). */
export async function openConnection(
  options: ConnectionOptions,
  requireSchema = true,
): Promise<Connection> {
  const opened = openStore(options);
  const { store, target } = opened;
  const closeAll = async () => {
    await store.close().catch(() => {});
    await opened.release();
  };
  try {
    // The CLI loads no application code: values it cannot decode show as "[encoded]" or "[Type]".
    const client = createClient({
      store,
      logger: quiet,
      serialization: { undecodable: "describe" },
    });
    const inspector = createPgInspector(store, client.serializer);
    if (requireSchema) assertUsable(await inspector.schemaStatus(), target);
    return {
      store,
      client,
      inspector,
      queues: createPgQueueStore(store),
      target,
      close: async () => {
        await client.close().catch(() => {});
        await closeAll();
      },
    };
  } catch (error) {
    await closeAll();
    throw toCliError(error);
  }
}

/** An open store, where it points, and what ends the connection the CLI opened for it. */
interface OpenStore {
  readonly store: PgStore;
  readonly target: string;
  release(): Promise<void>;
}

const nothing = () => Promise.resolve();

function openStore(options: ConnectionOptions): OpenStore {
  const schema = options.schema ?? "cairn";
  if (options.pglite !== undefined && options.url !== undefined) {
    throw usageError("pass either --url or --pglite, not both");
  }
  if (options.pglite !== undefined) {
    const target = `PGlite ${options.pglite}`;
    try {
      return {
        store: createPgliteStore({ dataDir: options.pglite, schema }),
        target,
        release: nothing,
      };
    } catch (error) {
      throw toCliError(error);
    }
  }
  const url = options.url ?? process.env["DATABASE_URL"];
  if (url === undefined || url === "") {
    throw usageError(
      "no database given: pass --url <postgres-url>, set DATABASE_URL, or --pglite <dir>",
    );
  }
  const target = redact(parseUrl(url));
  const sql = postgres(url, {
    ...cairnClientOptions,
    max: 4,
    connect_timeout: 10,
    onnotice: () => {},
    connection: { application_name: "cairn-cli" },
  });
  const release = () => sql.end({ timeout: 5 });
  try {
    return { store: createPgStore({ sql, schema }), target, release };
  } catch (error) {
    void release();
    throw toCliError(error);
  }
}

function parseUrl(url: string): URL {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new CliError(`bad database URL: expected postgres://user@host:5432/db`, EXIT.unreachable);
  }
  if (parsed.protocol !== "postgres:" && parsed.protocol !== "postgresql:") {
    throw new CliError(
      `bad database URL: protocol "${parsed.protocol}" is not postgres: or postgresql:`,
      EXIT.unreachable,
    );
  }
  return parsed;
}

function redact(url: URL): string {
  const copy = new URL(url.href);
  if (copy.password) copy.password = "***";
  copy.search = "";
  return copy.href;
}

function assertUsable(status: SchemaStatus, target: string): void {
  if (status.state === "missing") {
    throw new CliError(
      `schema "${status.schema}" not found at ${target}: run cairn migrate, or pass --schema`,
      EXIT.schema,
    );
  }
  if (status.state === "behind") {
    throw new CliError(
      `schema "${status.schema}" is at version ${status.appliedVersion}, this cairn needs ` +
        `${status.latestVersion}: run cairn migrate`,
      EXIT.schema,
    );
  }
}
