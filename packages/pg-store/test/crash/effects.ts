/**
 * Step side effects the crash tests count. A step body records one before it returns, durably
 * and outside Cairn's own writes: on Postgres a row in `<schema>.effects`, committed by its own
 * statement on its own connection; on PGlite (one process per data directory, so no second
 * connection) a line appended to a file and fsynced. Counting them tells how many times a body
 * really ran, whatever the checkpoints say.
 */
import { closeSync, existsSync, fsyncSync, openSync, readFileSync, writeSync } from "node:fs";
import postgres from "postgres";
import type { Effect, StoreConfig } from "./protocol.js";

/** Where a step body writes its effects. */
export interface EffectLog {
  /** Resolves once the effect is durable. */
  record(workflowId: string, step: string): Promise<void>;
  close(): Promise<void>;
}

/** The effect log of `store`, creating its table when needed. */
export async function openEffectLog(store: StoreConfig): Promise<EffectLog> {
  if (store.kind === "pglite") return fileEffectLog(store.effectsFile);
  const sql = postgres(store.url, { max: 1, onnotice: () => {} });
  const table = effectsTable(store.schema);
  await sql.unsafe(`create schema if not exists "${store.schema}"`);
  await sql.unsafe(
    `create table if not exists ${table} (
       id bigserial primary key, workflow_id text not null, step text not null, pid int not null)`,
  );
  return {
    async record(workflowId, step) {
      await sql.unsafe(`insert into ${table} (workflow_id, step, pid) values ($1, $2, $3)`, [
        workflowId,
        step,
        process.pid,
      ]);
    },
    close: () => sql.end({ timeout: 1 }),
  };
}

function fileEffectLog(path: string): EffectLog {
  return {
    record(workflowId, step) {
      const fd = openSync(path, "a");
      try {
        writeSync(fd, `${JSON.stringify({ workflowId, step, pid: process.pid })}\n`);
        fsyncSync(fd);
      } finally {
        closeSync(fd);
      }
      return Promise.resolve();
    },
    close: () => Promise.resolve(),
  };
}

/** Every effect of `workflowId`, in the order they were recorded. `sql` is needed on Postgres. */
export async function readEffects(
  store: StoreConfig,
  workflowId: string,
  sql?: postgres.Sql,
): Promise<Effect[]> {
  if (store.kind === "pglite") {
    if (!existsSync(store.effectsFile)) return [];
    return readFileSync(store.effectsFile, "utf8")
      .split("\n")
      .filter((line) => line !== "")
      .map((line) => JSON.parse(line) as Effect)
      .filter((effect) => effect.workflowId === workflowId);
  }
  if (!sql) throw new Error("readEffects on Postgres needs a connection");
  const rows = await sql.unsafe<{ workflow_id: string; step: string; pid: number }[]>(
    `select workflow_id, step, pid from ${effectsTable(store.schema)}
      where workflow_id = $1 order by id`,
    [workflowId],
  );
  return rows.map((row) => ({ workflowId: row.workflow_id, step: row.step, pid: row.pid }));
}

/** How many times each step's body ran: `{ s1: 1, s2: 2 }`. */
export function countByStep(effects: readonly Effect[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const { step } of effects) counts[step] = (counts[step] ?? 0) + 1;
  return counts;
}

function effectsTable(schema: string): string {
  return `"${schema}".effects`;
}
