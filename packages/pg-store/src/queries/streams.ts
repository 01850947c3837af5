/**
 * The statements on `streams`, one function each. An entry is keyed by the position of the step
 * that wrote it, so the write and its checkpoint land together and a replayed write appends
 * nothing; offsets are the entries' rank in position order.
 */
import type { SerializedValue, StepRecord, StreamEntry } from "@cairn/core";
import type { SqlQueryable } from "../executors/sql-executor.js";
import { STEP_COLUMNS } from "../rows.js";
import type { SchemaNames } from "../schema-names.js";
import { notifyFrom } from "./notify.js";

export type StreamStatements = ReturnType<typeof streamStatements>;

/** The SQL text of every `streams` statement for one schema. */
export function streamStatements({ steps, streams, channel }: SchemaNames) {
  return {
    write: `
      with recorded as (
        insert into ${steps} (${STEP_COLUMNS})
        values ($1, $3, $6, $7, $8, $9, $10, $11, $12)
        on conflict (workflow_id, position) do nothing
      ),
      appended as (
        insert into ${streams} (workflow_id, key, position, value, closed)
        values ($1, $2, $3, $4, $5)
        on conflict (workflow_id, key, position) do nothing
        returning workflow_id, key
      ),
      notified as (${notifyFrom(channel, "stream", ["workflow_id", "key"], "appended")})
      select count(*) from notified`,
    read: `
      select value, closed from ${streams}
      where workflow_id = $1 and key = $2
      order by position
      offset $3 limit $4`,
  };
}

/** A stream write as the store receives it. */
export interface StreamWrite {
  readonly workflowId: string;
  readonly key: string;
  readonly value: SerializedValue | undefined;
  readonly closed: boolean;
}

export async function writeStream(
  db: SqlQueryable,
  q: StreamStatements,
  entry: StreamWrite,
  step: StepRecord,
): Promise<void> {
  if (step.workflowId !== entry.workflowId) {
    throw new TypeError("writeStream: the step must belong to the workflow that writes");
  }
  await db.query(q.write, [
    entry.workflowId,
    entry.key,
    step.position,
    entry.value ?? null,
    entry.closed,
    step.name,
    step.output ?? null,
    step.error ?? null,
    step.childWorkflowId ?? null,
    step.attempts,
    step.startedAt,
    step.completedAt,
  ]);
}

export async function readStream(
  db: SqlQueryable,
  q: StreamStatements,
  stream: { workflowId: string; key: string },
  offset: number,
  limit: number,
): Promise<StreamEntry[]> {
  const rows = await db.query<{ value: string | null; closed: boolean }>(q.read, [
    stream.workflowId,
    stream.key,
    offset,
    limit,
  ]);
  return rows.map((row, i) => ({
    offset: offset + i,
    value: row.value ?? undefined,
    closed: row.closed,
  }));
}
