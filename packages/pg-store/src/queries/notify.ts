/**
 * The `pg_notify` call that statements embed, so a notification is sent by the same statement
 * (and so the same transaction) as the write it announces: Postgres delivers it at commit, never
 * for a write that rolled back. One channel per schema; the payload is a compact JSON array,
 * `[kind, workflowId, topic-or-key]`, `["status", workflowId, status, executorId]` (a bulk
 * create adds the `created_at` it gave its rows: one notification stands for all of them) or
 * `["wake", workflowId, executorId]` (sent by migration 0013's `wake_suspended`).
 */
import type { StoreNotification, WorkflowStatus } from "@cairn/core";

/** Postgres rejects a payload of 8000 bytes or more. */
const MAX_PAYLOAD_BYTES = 8000;

/** Characters kept of each field when the full payload would be too long. */
const SHORT_FIELD = 200;

/**
 * `select pg_notify(...) from <source>`: one notification per row of `source` (a CTE name),
 * with `fields` (SQL expressions over it) after `kind`. When IDs are too long for a payload,
 * each is cut to 200 characters: the write still succeeds and waiters fall back to polling.
 */
export function notifyFrom(
  channel: string,
  kind: StoreNotification["kind"],
  fields: readonly string[],
  source: string,
): string {
  const payload = (field: (f: string) => string) =>
    `to_json(array['${kind}', ${fields.map(field).join(", ")}]::text[])::text`;
  const full = payload((f) => f);
  const short = payload((f) => `left(${f}, ${SHORT_FIELD})`);
  return `select pg_notify('${channel}',
    case when octet_length(${full}) < ${MAX_PAYLOAD_BYTES} then ${full} else ${short} end)
    from ${source}`;
}

const STATUSES: readonly string[] = ["PENDING", "SUCCESS", "ERROR", "CANCELLED", "DEAD_LETTER"];
const isStatus = (text: string): text is WorkflowStatus => STATUSES.includes(text);

/** Reads a payload back; `undefined` for anything Cairn did not send. */
export function parseNotification(payload: string): StoreNotification | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(payload);
  } catch {
    return undefined;
  }
  if (!Array.isArray(parsed) || !parsed.every((x) => typeof x === "string")) return undefined;
  const [kind = "", workflowId, a, b, c] = parsed as (string | undefined)[];
  if (workflowId === undefined || a === undefined) return undefined;
  switch (kind) {
    case "message":
      return { kind, workflowId, topic: a };
    case "event":
    case "stream":
      return { kind, workflowId, key: a };
    case "status":
      if (b === undefined || !isStatus(a)) return undefined;
      return c !== undefined && /^\d{1,15}$/.test(c)
        ? { kind, workflowId, status: a, executorId: b, createdAt: Number(c) }
        : { kind, workflowId, status: a, executorId: b };
    case "wake":
      return { kind, workflowId, executorId: a };
    default:
      return undefined;
  }
}
