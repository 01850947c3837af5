/**
 * The statements on `events`, one function each. Setting an event upserts its value (last write
 * wins) and, when the engine passes the step that set it, records that checkpoint and the value
 * in the event's history (by the step's position, for forks) in the same statement.
 */
import type { Fence, SerializedValue, StepRecord } from "@cairn/core";
import type { SqlQueryable } from "../executors/sql-executor.js";
import { STEP_COLUMNS, stepValues } from "../rows.js";
import type { SchemaNames } from "../schema-names.js";
import { fenceParams, ownedCte } from "./fence.js";
import { NOW_MS } from "./now-ms.js";
import { notifyFrom } from "./notify.js";

export type EventStatements = ReturnType<typeof eventStatements>;

/** The SQL text of every `events` statement for one schema. */
export function eventStatements({ workflows, steps, events, eventHistory, channel }: SchemaNames) {
  const upsert = `
      updated as (
        insert into ${events} (workflow_id, key, value, updated_at)
        select $1::text, $2::text, $3::text, ${NOW_MS}
        where (select ok from owned)
        on conflict (workflow_id, key)
        do update set value = excluded.value, updated_at = excluded.updated_at
        returning workflow_id, key
      ),
      notified as (${notifyFrom(channel, "event", ["workflow_id", "key"], "updated")})
      select (select ok from owned) as owned, (select count(*) from notified) as notified`;
  // The fence comes last ($4, $5 or $12, $13; nulls for none): when it no longer matches,
  // nothing is written. The value is last write wins, so the check locks the workflow row: a
  // late write either commits before a takeover or is rejected, never lands after it.
  const owned = (executor: string, epoch: string) =>
    ownedCte(workflows, "$1", executor, epoch, { lock: true });
  return {
    set: `with ${owned("$4", "$5")}, ${upsert}`,
    // First write wins for the checkpoint; the value is set either way, and is the value the
    // history keeps for the step's position (for forks).
    setWithStep: `
      with ${owned("$12", "$13")},
      recorded as (
        insert into ${steps} (${STEP_COLUMNS})
        select $1::text, $4::int, $5::text, $6::text, $7::text, $8::text, $9::int, $10::bigint,
               $11::bigint
        where (select ok from owned)
        on conflict (workflow_id, position) do nothing
      ),
      remembered as (
        insert into ${eventHistory} (workflow_id, position, key, value)
        select $1::text, $4::int, $2::text, $3::text
        where (select ok from owned)
        on conflict (workflow_id, position) do update set key = excluded.key, value = excluded.value
      ),
      ${upsert}`,
    get: `select value from ${events} where workflow_id = $1 and key = $2`,
  };
}

/** Sets the event (and records `step`, if given); `false` when the fence no longer matches. */
export async function setEvent(
  db: SqlQueryable,
  q: EventStatements,
  event: { workflowId: string; key: string; value: SerializedValue },
  step: StepRecord | undefined,
  fence: Fence | undefined,
): Promise<boolean> {
  if (step && step.workflowId !== event.workflowId) {
    throw new TypeError("setEvent: the step must belong to the workflow that sets the event");
  }
  const stepParams = step ? stepValues(step).slice(1) : []; // $1 is the workflow ID already
  const [row] = await db.query<{ owned: boolean }>(step ? q.setWithStep : q.set, [
    event.workflowId,
    event.key,
    event.value,
    ...stepParams,
    ...fenceParams(fence),
  ]);
  return row?.owned === true;
}

export async function getEvent(
  db: SqlQueryable,
  q: EventStatements,
  workflowId: string,
  key: string,
): Promise<SerializedValue | undefined> {
  const [row] = await db.query<{ value: string }>(q.get, [workflowId, key]);
  return row?.value;
}
