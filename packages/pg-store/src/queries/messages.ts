/**
 * The statements on `messages`, one function each. A send checks the destination and stores
 * the message once per `message_id`; a consume takes the oldest waiting message of one topic
 * and records the `recv` checkpoint in the same statement, so a message is never consumed
 * without its checkpoint or twice.
 */
import type { Fence, NewMessage, SendResult, StepRecord } from "@cairn/core";
import type { SqlQueryable } from "../executors/sql-executor.js";
import { STEP_COLUMNS, toStepRecord, type StepRow } from "../rows.js";
import type { SchemaNames } from "../schema-names.js";
import { fenceParams, ownedCte } from "./fence.js";
import { NOW_MS } from "./now-ms.js";
import { notifyFrom } from "./notify.js";

export type MessageStatements = ReturnType<typeof messageStatements>;

/** The SQL text of every `messages` statement for one schema. */
export function messageStatements({ workflows, steps, messages, channel }: SchemaNames) {
  return {
    send: `
      with destination as (
        select workflow_id from ${workflows} where workflow_id = $1
      ),
      sent as (
        insert into ${messages} (message_id, destination_id, topic, message, created_at)
        select $4::text, workflow_id, $2::text, $3::text, ${NOW_MS} from destination
        on conflict (message_id) do nothing
        returning destination_id, topic
      ),
      notified as (${notifyFrom(channel, "message", ["destination_id", "topic"], "sent")})
      select exists (select 1 from destination) as found,
             exists (select 1 from sent) as sent,
             (select count(*) from notified) as notified`,
    // The candidate row stays locked until commit; concurrent consumers skip it and take the
    // next one. The message is marked consumed only if this statement's checkpoint landed:
    // when another caller recorded the position first, nothing is consumed. With a fence ($9,
    // $10) that no longer matches, no candidate is taken, so nothing changes.
    consume: `
      with ${ownedCte(workflows, "$1", "$9", "$10")},
      existing as (
        select ${STEP_COLUMNS} from ${steps} where workflow_id = $1 and position = $2
      ),
      candidate as (
        select message_id, message from ${messages}
        where destination_id = $1 and topic = $3 and consumed_at is null
          and not exists (select 1 from existing) and (select ok from owned)
        order by seq
        limit 1
        for update skip locked
      ),
      inserted as (
        insert into ${steps} (${STEP_COLUMNS})
        select $1::text, $2::int, $4::text, message, null, $5::text, $6::int, $7::bigint,
               $8::bigint
        from candidate
        on conflict (workflow_id, position) do nothing
        returning ${STEP_COLUMNS}
      ),
      consumed as (
        update ${messages} set consumed_at = ${NOW_MS}
        where message_id = (select message_id from candidate)
          and exists (select 1 from inserted)
      )
      select (select ok from owned) as owned, exists (select 1 from candidate) as had_candidate,
             step.*
      from (select 1) as one
      left join (select * from existing union all select * from inserted) as step on true`,
    getStep: `select ${STEP_COLUMNS} from ${steps} where workflow_id = $1 and position = $2`,
  };
}

export async function sendMessage(
  db: SqlQueryable,
  q: MessageStatements,
  m: NewMessage,
): Promise<SendResult> {
  const [row] = await db.query<{ found: boolean; sent: boolean }>(q.send, [
    m.destinationId,
    m.topic,
    m.message,
    m.messageId,
  ]);
  if (!row?.found) return "workflow-not-found";
  return row.sent ? "sent" : "duplicate";
}

/** What one consume statement saw. */
export type ConsumeAttempt =
  | { readonly step: StepRecord }
  /** No message waiting, and no checkpoint at the position. */
  | { readonly step: undefined; readonly raced: false }
  /** A message was there but another caller recorded the position first: read it again. */
  | { readonly step: undefined; readonly raced: true }
  /** The fence no longer matches: nothing was consumed or recorded. */
  | { readonly fenced: true };

export async function consumeMessage(
  db: SqlQueryable,
  q: MessageStatements,
  topic: string,
  s: StepRecord,
  fence: Fence | undefined,
): Promise<ConsumeAttempt> {
  const [row] = await db.query<{ owned: boolean; had_candidate: boolean } & Nullable<StepRow>>(
    q.consume,
    [
      s.workflowId,
      s.position,
      topic,
      s.name,
      s.childWorkflowId ?? null,
      s.attempts,
      s.startedAt,
      s.completedAt,
      ...fenceParams(fence),
    ],
  );
  if (row?.owned === false) return { fenced: true };
  if (row?.workflow_id != null) return { step: toStepRecord(row as StepRow) };
  return { step: undefined, raced: row?.had_candidate === true };
}

/** The checkpoint at one position, if any. */
export async function getStep(
  db: SqlQueryable,
  q: MessageStatements,
  workflowId: string,
  position: number,
): Promise<StepRecord | undefined> {
  const [row] = await db.query<StepRow>(q.getStep, [workflowId, position]);
  return row && toStepRecord(row);
}

type Nullable<T> = { [K in keyof T]: T[K] | null };
