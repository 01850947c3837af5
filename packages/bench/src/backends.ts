/**
 * The stores the bench runs on, each opened with its own statement counter: Postgres through a
 * postgres.js client whose `debug` hook sees every statement sent; PGlite in memory through a
 * counting proxy on the instance; the in-memory store of `@cairn/core/testing` (no SQL: it
 * shows what the engine alone costs). Each backend cleans up after itself in `close()`.
 */
import type { WorkflowStore } from "@cairn/core";
import { createMemoryStore } from "@cairn/core/testing";
import { createPgStore, createPgliteStore } from "@cairn/pg-store";
import { PGlite, type PGliteInterface, type Transaction } from "@electric-sql/pglite";
import postgres from "postgres";
import { measureFloor } from "./floor.js";
import type { BackendName } from "./options.js";
import { createStatementCounter, type StatementCounter } from "./statement-counter.js";

export interface Backend {
  readonly name: BackendName;
  /** What the figures mean on this backend. */
  readonly note: string;
  readonly store: WorkflowStore;
  /** Absent on the memory store, which sends no SQL. */
  readonly statements: StatementCounter | undefined;
  readonly serverVersion: string | undefined;
  /** Postgres only: the bare round trip and commit latency on the same client. */
  readonly floor?: () => Promise<unknown>;
  /** Time to open the database, for PGlite (initdb in WASM). */
  readonly openMs?: number;
  /** Another store on the same database and schema: its own connection and listener. */
  another(): WorkflowStore;
  /** Call after the engine shut down (which closed the store). */
  close(): Promise<void>;
}

export function openBackend(name: BackendName, url: string, schema: string): Promise<Backend> {
  switch (name) {
    case "postgres":
      return openPostgres(url, schema);
    case "pglite":
      return openPglite(schema);
    case "memory":
      return Promise.resolve(openMemory());
  }
}

async function openPostgres(url: string, schema: string): Promise<Backend> {
  const statements = createStatementCounter(schema);
  const sql = postgres(url, {
    max: 10, // the pool size createPgStore opens by default
    onnotice: () => {},
    connection: { application_name: "cairn-bench" },
    debug: (_connection, query) => statements.record(query),
  });
  const [row] = await sql<{ server_version: string }[]>`show server_version`;
  return {
    name: "postgres",
    note: "Postgres server over TCP, durable commits (fsync as configured on the server)",
    store: createPgStore({ sql, schema }),
    statements,
    serverVersion: row?.server_version,
    floor: () => measureFloor(sql, schema),
    another: () => createPgStore({ url, schema, max: 2 }),
    async close() {
      await sql`drop schema if exists ${sql(schema)} cascade`;
      await sql.end({ timeout: 5 });
    },
  };
}

async function openPglite(schema: string): Promise<Backend> {
  const statements = createStatementCounter(schema);
  const started = performance.now();
  const db = await PGlite.create({ dataDir: "memory://" });
  const openMs = Math.round(performance.now() - started);
  const version = await db.query<{ server_version: string }>("show server_version");
  return {
    name: "pglite",
    note:
      "reference only: PGlite in memory, in this process (WASM), no fsync, one statement at a " +
      "time; statements are counted as calls on the PGlite instance",
    store: createPgliteStore({ db: countingPglite(db, statements), schema }),
    statements,
    serverVersion: version.rows[0]?.server_version,
    openMs,
    another: () => createPgliteStore({ db, schema }),
    close: () => db.close(),
  };
}

function openMemory(): Backend {
  const store = createMemoryStore();
  return {
    name: "memory",
    note: "reference only: the in-memory store from @cairn/core/testing; engine cost, no I/O",
    store,
    statements: undefined,
    serverVersion: undefined,
    another: () => ({ ...store, close: () => Promise.resolve() }),
    close: () => Promise.resolve(),
  };
}

/** A view of `db` that records each `query`/`exec`, and BEGIN/COMMIT around transactions. */
function countingPglite<T extends PGliteInterface | Transaction>(
  db: T,
  statements: StatementCounter,
): T {
  return new Proxy(db, {
    get(target, property) {
      const value: unknown = Reflect.get(target, property, target);
      if (typeof value !== "function") return value;
      const method = value as (...args: unknown[]) => unknown;
      if (property === "query" || property === "exec") {
        return (text: string, ...rest: unknown[]) => {
          statements.record(text);
          return method.call(target, text, ...rest);
        };
      }
      if (property === "transaction") {
        return async (fn: (tx: Transaction) => Promise<unknown>) => {
          statements.record("begin");
          try {
            return await method.call(target, (tx: Transaction) =>
              fn(countingPglite(tx, statements)),
            );
          } finally {
            statements.record("commit");
          }
        };
      }
      return method.bind(target);
    },
  });
}
