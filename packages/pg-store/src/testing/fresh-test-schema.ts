/**
 * A schema of its own for one test (or one test file) on a shared server: a unique name, and the
 * function that drops it with everything in it. Tests that each use their own schema can run in
 * parallel against one database without seeing each other's workflows.
 */
import postgres from "postgres";

/** A schema name no other test uses, and how to drop it. */
export interface TestSchema {
  /** `t_` and ten random letters and digits; pass it as `createPgStore({ url, schema })`. */
  readonly schema: string;
  /** Drops the schema (cascade) and closes the connection used for it. */
  drop(): Promise<void>;
}

/**
 * Reserves a fresh schema name on `url` (the store creates the schema when it migrates).
 *
 * @example
 * const { schema, drop } = freshTestSchema(url);
 * const store = createPgStore({ url, schema });
 * // ... after the tests: await store.close(); await drop();
 */
export function freshTestSchema(url: string): TestSchema {
  const schema = `t_${Math.random().toString(36).slice(2, 12).padEnd(10, "0")}`;
  return {
    schema,
    drop: async () => {
      const sql = postgres(url, { max: 1, onnotice: () => {} });
      try {
        await sql.unsafe(`drop schema if exists "${schema}" cascade`);
      } finally {
        await sql.end({ timeout: 5 });
      }
    },
  };
}
