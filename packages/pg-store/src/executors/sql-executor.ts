/**
 * The seam between the store and a driver. postgres.js and PGlite take parameterized SQL text
 * the same way once wrapped in this interface, so every query runs unchanged on both. It carries
 * text and parameters only: no tagged templates, no driver types.
 */

/** The characteristics of a transaction: isolation level and access mode. */
export interface TransactionMode {
  readonly isolationLevel: "read committed" | "repeatable read" | "serializable";
  readonly readOnly: boolean;
}

/** The mode as SQL words for `begin ...` or `set transaction ...`. */
export const modeSql = (mode: TransactionMode): string =>
  `isolation level ${mode.isolationLevel} ${mode.readOnly ? "read only" : "read write"}`;

/** Runs statements on a connection or inside a transaction. */
export interface SqlQueryable {
  /** One statement with `$1...` parameters; resolves to its rows (or its `returning` rows). */
  query<R>(text: string, params?: readonly unknown[]): Promise<R[]>;
  /** Several statements without parameters, e.g. a migration file. */
  script(text: string): Promise<void>;
}

/** One statement of a pipelined transaction. */
export interface PipelinedStatement {
  readonly text: string;
  readonly params?: readonly unknown[];
}

/** A driver handle: statements, transactions, and shutting down what the store owns. */
export interface SqlExecutor extends SqlQueryable {
  /**
   * Runs `fn` in one transaction; commits when it resolves, rolls back when it throws. `mode`
   * is what follows `begin`/`set transaction` (e.g. `isolation level serializable read only`).
   * `fn` also gets the driver's own transaction object, to hand to user code.
   */
  transaction<T>(
    fn: (tx: SqlQueryable, native: unknown) => Promise<T>,
    mode?: TransactionMode,
  ): Promise<T>;
  /**
   * Runs `statements` in order in one transaction whose statements do not depend on each
   * other's results, sent together: BEGIN, the statements and COMMIT in one round trip on
   * postgres.js (pipelined on one connection), in turn on PGlite. Resolves with each
   * statement's rows; if one fails, nothing commits and the call rejects with its error.
   */
  pipelinedTransaction(statements: readonly PipelinedStatement[]): Promise<unknown[][]>;
  /**
   * LISTENs on `channel` (letters, digits, underscores; case kept) and calls `onPayload` for
   * each notification. Resolves once listening, with the function that stops it.
   */
  listen(channel: string, onPayload: (payload: string) => void): Promise<() => Promise<void>>;
  /** Closes the connection(s) if the store opened them; leaves a caller's client open. */
  close(): Promise<void>;
  /**
   * Whether answers come from the event loop (a socket, postgres.js) rather than as promise
   * continuations alone (PGlite, in process). Only then may a group commit wait one
   * `process.nextTick` to gather a burst of calls: with PGlite, a tick comes only once no
   * continuation is left, so a loop of statements (a queue draining its backlog) would hold
   * every checkpoint and finish back until the loop ends.
   */
  readonly answersFromEventLoop: boolean;
}
