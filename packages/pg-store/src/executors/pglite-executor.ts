/**
 * `SqlExecutor` on PGlite, in process: `db.query(text, params).rows`, `db.exec` for scripts and
 * `db.transaction`. PGlite runs one statement at a time, so transactions simply queue.
 * The database is opened on first use, so creating a store never blocks or starts WASM.
 */
import type { PGliteInterface, Transaction } from "@electric-sql/pglite";
import { modeSql, type SqlExecutor, type SqlQueryable } from "./sql-executor.js";

function queryable(db: PGliteInterface | Transaction): SqlQueryable {
  return {
    async query<R>(text: string, params: readonly unknown[] = []): Promise<R[]> {
      return (await db.query<R>(text, params as unknown[])).rows;
    },
    async script(text: string): Promise<void> {
      await db.exec(text);
    },
  };
}

/**
 * Wraps the PGlite instance that `open` resolves (called once, on first use). `close()` closes
 * it when `owned`, then always runs `release` (e.g. drops the data directory lock).
 */
export function pgliteExecutor(
  open: () => Promise<PGliteInterface>,
  owned: boolean,
  release: () => void,
): SqlExecutor {
  let opening: Promise<PGliteInterface> | undefined;
  const db = (): Promise<PGliteInterface> => (opening ??= open());
  return {
    answersFromEventLoop: false,
    async query<R>(text: string, params?: readonly unknown[]): Promise<R[]> {
      return queryable(await db()).query<R>(text, params);
    },
    async script(text: string): Promise<void> {
      await queryable(await db()).script(text);
    },
    async transaction(fn, mode) {
      return (await db()).transaction(async (tx) => {
        if (mode) await tx.exec(`set transaction ${modeSql(mode)}`);
        return fn(queryable(tx), tx);
      });
    },
    async pipelinedTransaction(statements) {
      return (await db()).transaction(async (tx) => {
        const rows: unknown[][] = [];
        for (const { text, params = [] } of statements) {
          rows.push((await tx.query(text, params as unknown[])).rows);
        }
        return rows;
      });
    },
    async listen(channel, onPayload) {
      // PGlite pastes the name into LISTEN as given: quote it to keep its case.
      const unlisten = await (await db()).listen(`"${channel}"`, onPayload);
      return () => unlisten();
    },
    async close(): Promise<void> {
      try {
        if (owned && opening) await (await opening.catch(() => undefined))?.close();
      } finally {
        release();
      }
    },
  };
}
