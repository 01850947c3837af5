/**
 * `SqlExecutor` on postgres.js. Statements go through `sql.unsafe(text, params, { prepare: true })`
 * (prepared once per connection, then one round trip each), transactions through `sql.begin`.
 * Errors that mean "the database is not there" become `DatabaseUnavailableError`; every other
 * error passes through untouched.
 */
import type postgres from "postgres";
import { DatabaseUnavailableError } from "../errors.js";
import {
  modeSql,
  type PipelinedStatement,
  type SqlExecutor,
  type SqlQueryable,
  type TransactionMode,
} from "./sql-executor.js";

type Client = postgres.Sql | postgres.TransactionSql;
type Params = postgres.ParameterOrJSON<never>[];

/** Driver codes of a refused, lost or timed-out connection. */
const CONNECTION_CODES = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ETIMEDOUT",
  "ENOTFOUND",
  "EAI_AGAIN",
  "EPIPE",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "CONNECTION_CLOSED",
  "CONNECTION_ENDED",
  "CONNECTION_DESTROYED",
  "CONNECT_TIMEOUT",
]);

/** SQLSTATEs of the same kind: class 08, server shutting down or starting, too many clients. */
const isConnectionState = (code: string): boolean =>
  code.startsWith("08") || ["57P01", "57P02", "57P03", "53300"].includes(code);

/** True when `error` says the database cannot be reached, rather than that a statement failed. */
export function isConnectionError(error: unknown): boolean {
  if (error instanceof AggregateError) return error.errors.some(isConnectionError);
  if (!(error instanceof Error)) return false;
  const code = (error as { code?: unknown }).code;
  return typeof code === "string" && (CONNECTION_CODES.has(code) || isConnectionState(code));
}

const mapError = (error: unknown): unknown =>
  isConnectionError(error) ? new DatabaseUnavailableError(error) : error;

function queryable(client: Client): SqlQueryable {
  return {
    async query<R>(text: string, params: readonly unknown[] = []): Promise<R[]> {
      try {
        return (await client.unsafe(text, params as Params, { prepare: true })) as unknown as R[];
      } catch (error) {
        throw mapError(error);
      }
    },
    async script(text: string): Promise<void> {
      try {
        await client.unsafe(text); // no parameters: the simple protocol allows many statements
      } catch (error) {
        throw mapError(error);
      }
    },
  };
}

/** Driver codes meaning the socket itself is gone (closed, reset or destroyed), not a statement. */
const SOCKET_GONE_CODES = new Set([
  "CONNECTION_CLOSED",
  "CONNECTION_DESTROYED",
  "ECONNRESET",
  "EPIPE",
]);

const socketGone = (answer: PromiseSettledResult<unknown>): boolean =>
  answer.status === "rejected" &&
  SOCKET_GONE_CODES.has(String((answer.reason as { code?: unknown } | null)?.code));

/**
 * Pipelined transactions: BEGIN, the statements and COMMIT written at once on a reserved
 * connection; the server runs them in order. After a failed statement the rest fail too (the
 * transaction is aborted) and COMMIT rolls back; each call waits for every answer before it
 * lets the connection go. A connection whose socket went away is not given back: postgres.js
 * already took it back to reconnect it, and an unpatched 3.4.9 would hand it out dead
 * (docs/decisions/0019-patched-postgres-js.md).
 *
 * The connection goes back to the pool at the event loop's next check phase (`setImmediate`),
 * not at once: a pipelined transaction started before then (the queue's next claim, sent while
 * the previous claim's answer is read) takes it again. Given back at once, consecutive claims
 * went round every open connection (the pool hands out its longest-idle one), and each paid the
 * claim's first plan again (~25 ms of server CPU for its 18 KB statement). A connection lost in
 * between fails the call that takes it as any lost connection does (the patched postgres.js
 * rejects a lost reservation's statements unsent).
 *
 * None is kept once the store closes: postgres.js's `end()` waits for a reserved connection to
 * be given back, and one given back after `end()` is opened again instead of ended, so a user's
 * `sql.end()` in the same turn as an answer that came after `close()` waited for ever. (Ending
 * a user's client without closing the store first can still wait so: see the `sql` option.)
 */
function pipelinedOn(sql: postgres.Sql) {
  let kept: postgres.ReservedSql | undefined;
  let closed = false;
  const releaseKept = () => {
    const reserved = kept;
    kept = undefined;
    reserved?.release();
  };
  const reserve = async (): Promise<postgres.ReservedSql> => {
    const reserved = kept;
    kept = undefined;
    if (reserved) return reserved;
    try {
      return await sql.reserve();
    } catch (error) {
      throw mapError(error);
    }
  };
  // A pool of one keeps nothing: its only connection would wait out back-to-back claims while
  // other statements queue for it (given back at once, the pool serves them first).
  const letGo = (reserved: postgres.ReservedSql) => {
    // (kept: another call's)
    if (kept || closed || sql.options.max <= 1) return reserved.release();
    kept = reserved;
    setImmediate(releaseKept);
  };
  return {
    /** Gives back a kept connection, and keeps none from now on (the store is closing). */
    close() {
      closed = true;
      releaseKept();
    },
    async run(statements: readonly PipelinedStatement[]): Promise<unknown[][]> {
      const reserved = await reserve();
      let answers: PromiseSettledResult<unknown[]>[] = [];
      try {
        answers = await Promise.allSettled([
          reserved.unsafe("begin"),
          ...statements.map(({ text, params = [] }) =>
            reserved.unsafe(text, params as Params, { prepare: true }),
          ),
          reserved.unsafe("commit"),
        ]);
      } finally {
        if (!answers.some(socketGone)) letGo(reserved);
      }
      const failed = answers.find((answer) => answer.status === "rejected");
      if (failed) throw mapError(failed.reason);
      return answers
        .slice(1, -1)
        .map((answer) => (answer as PromiseFulfilledResult<unknown[]>).value);
    },
  };
}

/**
 * Wraps a postgres.js client; `owned` clients are ended by `close()`, which then calls
 * `afterEnd` (the store stops the client's sockets there, see `closable-sockets.ts`).
 */
export function postgresExecutor(
  sql: postgres.Sql,
  owned: boolean,
  afterEnd: () => void = () => {},
): SqlExecutor {
  const pipelined = pipelinedOn(sql);
  return {
    ...queryable(sql),
    async transaction<T>(
      fn: (tx: SqlQueryable, native: unknown) => Promise<T>,
      mode?: TransactionMode,
    ): Promise<T> {
      try {
        const body = (tx: postgres.TransactionSql) => fn(queryable(tx), tx);
        return (await (mode ? sql.begin(modeSql(mode), body) : sql.begin(body))) as T;
      } catch (error) {
        throw mapError(error);
      }
    },
    pipelinedTransaction: (statements) => pipelined.run(statements),
    answersFromEventLoop: true,
    async listen(channel, onPayload) {
      // postgres.js keeps one dedicated connection for every LISTEN of this client, quotes the
      // channel, and listens again after a reconnect.
      try {
        const listening = await sql.listen(channel, onPayload);
        return () => listening.unlisten();
      } catch (error) {
        throw mapError(error);
      }
    },
    async close(): Promise<void> {
      pipelined.close();
      if (!owned) return;
      // After a second, connections still busy (or still reconnecting) are destroyed.
      await sql.end({ timeout: 1 });
      afterEnd();
    },
  };
}
