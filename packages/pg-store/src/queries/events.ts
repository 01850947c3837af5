/**
 * The statements on `events`, one function each. Setting an event upserts its value (last write
 * wins) and, when the engine passes the step that set it, records that checkpoint in the same
 * statement.
 */
import type { SerializedValue, StepRecord } from "@cairn/core";
import type { SqlQueryable } from "../executors/sql-executor.js";
import { STEP_COLUMNS } from "../rows.js";
import type { SchemaNames } from "../schema-names.js";
import { NOW_MS } from "./now-ms.js";
import { notifyFrom } from "./notify.js";

export type EventStatements = ReturnType<typeof eventStatements>;

/** The SQL text of every `events` statement for one schema. */
export function eventStatements({ steps, events, channel }: SchemaNames) {
  const upsert = `
      updated as (
        insert into ${events} (workflow_id, key, value, updated_at)
        values ($1, $2, $3, ${NOW_MS})
        on conflict (workflow_id, key)
        do update set value = excluded.value, updated_at = excluded.updated_at
        returning workflow_id, key
      ),
      notified as (${notifyFrom(channel, "event", ["workflow_id", "key"], "updated")})
      select count(*) from notified`;
  return {
    set: `with ${upsert}`,
    // First write wins for the checkpoint; the value is set either way.
    setWithStep: `
      with recorded as (
        insert into ${steps} (${STEP_COLUMNS})
        values ($1, $4, $5, $6, $7, $8, $9, $10, $11)
        on conflict (workflow_id, position) do nothing
      ),
      ${upsert}`,
    get: `select value from ${events} where workflow_id = $1 and key = $2`,
  };
}

export async function setEvent(
  db: SqlQueryable,
  q: EventStatements,
  event: { workflowId: string; key: string; value: SerializedValue },
  step: StepRecord | undefined,
): Promise<void> {
  const params = [event.workflowId, event.key, event.value];
  if (!step) {
    await db.query(q.set, params);
    return;
  }
  if (step.workflowId !== event.workflowId) {
    throw new TypeError("setEvent: the step must belong to the workflow that sets the event");
  }
  await db.query(q.setWithStep, [
    ...params,
    step.position,
    step.name,
    step.output ?? null,
    step.error ?? null,
    step.childWorkflowId ?? null,
    step.attempts,
    step.startedAt,
    step.completedAt,
  ]);
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
