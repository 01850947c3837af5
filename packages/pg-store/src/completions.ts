/**
 * The completion table for transactions whose application tables live in another database than
 * Cairn's store (`transaction({ database })`). Create it once, like any other migration of the
 * application, before the first such transaction runs. Cairn never deletes its rows.
 */
import { completionStatements } from "./queries/completions.js";
import { appExecutor, type AppDatabase } from "./transactions/targets.js";

/** Options of {@link migrateCompletions}. */
export interface MigrateCompletionsOptions {
  /** The schema to hold `transaction_completions`, created if missing. Default `"cairn"`. */
  readonly schema?: string;
}

/**
 * Creates `<schema>.transaction_completions` in the application's database if it is missing.
 * Safe to call at every start and from many processes.
 *
 * @example
 * const app = postgres(process.env.APP_DATABASE_URL);
 * await migrateCompletions(app, { schema: "app_cairn" });
 * const reserve = transaction({ name: "reserve", database: app, completionSchema: "app_cairn" }, body);
 */
export async function migrateCompletions(
  database: AppDatabase,
  options: MigrateCompletionsOptions = {},
): Promise<void> {
  const q = completionStatements(options.schema ?? "cairn");
  const { db } = appExecutor(database);
  // Two first calls at once could race on `create ... if not exists`: serialize them.
  await db.transaction(async (tx) => {
    await tx.query("select pg_advisory_xact_lock(hashtext('cairn.transaction_completions'))");
    await tx.script(q.migrate);
  });
}
