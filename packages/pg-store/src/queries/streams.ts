/**
 * The statements on `streams`, one function each. An entry is keyed by the position of the step
 * that wrote it, so the write and its checkpoint land together and a replayed write appends
 * nothing; offsets are the entries' rank in position order.
 */
import type { Fence, SerializedValue, StepRecord, StreamEntry } from "@cairn/core";
import type { SqlQueryable } from "../executors/sql-executor.js";
import { STEP_COLUMNS } from "../rows.js";
import type { SchemaNames } from "../schema-names.js";
import { fenceParams, ownedCte } from "./fence.js";
import { notifyFrom } from "./notify.js";

export type StreamStatements = ReturnType<typeof streamStatements>;

/** The SQL text of every `streams` statement for one schema. */
export function streamStatements({ workflows, steps, streams, channel }: SchemaNames) {
  return {
    // $13, $14: the fence (nulls for none); when it no longer matches, nothing is written.
    write: `
      with ${ownedCte(workflows, "$1", "$13", "$14")},
      recorded as (
        insert into ${steps} (${STEP_COLUMNS})
        select $1::text, $3::int, $6::text, $7::text, $8::text, $9::text, $10::int,
               $11::bigint, $12::bigint
        where (select ok from owned)
        on conflict (workflow_id, position) do nothing
      ),
      appended as (
        insert into ${streams} (workflow_id, key, position, value, closed)
        select $1::text, $2::text, $3::int, $4::text, $5::boolean
        where (select ok from owned)
        on conflict (workflow_id, key, position) do nothing
        returning workflow_id, key
      ),
      notified as (${notifyFrom(channel, "stream", ["workflow_id", "key"], "appended")})
      select (select ok from owned) as owned, (select count(*) from notified) as notified`,
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

/** Appends the entry and records `step`; `false` when the fence no longer matches. */
export async function writeStream(
  db: SqlQueryable,
  q: StreamStatements,
  entry: StreamWrite,
  step: StepRecord,
  fence: Fence | undefined,
): Promise<boolean> {
  if (step.workflowId !== entry.workflowId) {
    throw new TypeError("writeStream: the step must belong to the workflow that writes");
  }
  const [row] = await db.query<{ owned: boolean }>(q.write, [
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
    ...fenceParams(fence),
  ]);
  return row?.owned === true;
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
