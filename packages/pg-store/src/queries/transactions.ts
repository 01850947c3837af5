/**
 * The statements a `transaction()` runs inside the user's own transaction on the store's
 * database: the opening check, which share-locks the workflow row (so a takeover or any other
 * change of owner waits until this transaction ends) and looks for a checkpoint already at the
 * position; and the checkpoint insert that commits with the user's writes. Nothing else here.
 */
import type { Fence, StepRecord } from "@cairn/core";
import type { SqlQueryable } from "../executors/sql-executor.js";
import { STEP_COLUMNS, stepValues, toStepRecord, type StepRow } from "../rows.js";
import type { SchemaNames } from "../schema-names.js";

export type TransactionStatements = ReturnType<typeof transactionStatements>;

/** What the opening check found. */
export type Opening =
  | { readonly kind: "lost" }
  | { readonly kind: "recorded"; readonly step: StepRecord }
  | { readonly kind: "open" };

/** Rows of the opening check: the fence verdict and the step at the position, if any. */
interface OpeningRow extends Partial<StepRow> {
  owned: boolean;
}

/** The SQL text of the transaction statements for one schema. */
export function transactionStatements({ workflows, steps }: SchemaNames) {
  const stepColumns = STEP_COLUMNS.split(", ")
    .map((column) => `s.${column}`)
    .join(", ");
  return {
    // `for share of w` conflicts with the `for update` of takeover and claims and with every
    // update of the row, and it is held until commit: once owned here, no other executor can
    // become the owner before this transaction has committed or rolled back. The timeout is
    // `set local`: a frozen process's session is ended by the server, releasing the lock.
    open: `
      select w.executor_id = $2::text and w.owner_epoch = $3::int as owned, ${stepColumns},
             set_config('idle_in_transaction_session_timeout', $5::text, true) as timeout
      from ${workflows} w
      left join ${steps} s on s.workflow_id = w.workflow_id and s.position = $4::int
      where w.workflow_id = $1::text
      for share of w`,
    // Read-only transactions cannot lock rows; they only bound their idle time.
    openReadOnly: `select set_config('idle_in_transaction_session_timeout', $1::text, true)`,
    insert: `
      insert into ${steps} (${STEP_COLUMNS})
      values ($1, $2, $3, $4, $5, $6, $7, $8, $9)
      on conflict (workflow_id, position) do nothing
      returning position`,
    get: `select ${STEP_COLUMNS} from ${steps} where workflow_id = $1 and position = $2`,
  };
}

/** Locks the workflow row, checks the fence and looks for a checkpoint at `position`. */
export async function openTransaction(
  tx: SqlQueryable,
  q: TransactionStatements,
  at: { workflowId: string; position: number; fence: Fence; idleTimeoutMs: number },
): Promise<Opening> {
  const [row] = await tx.query<OpeningRow>(q.open, [
    at.workflowId,
    at.fence.executorId,
    at.fence.epoch,
    at.position,
    String(at.idleTimeoutMs),
  ]);
  if (!row?.owned) return { kind: "lost" };
  if (row.name === undefined || row.name === null) return { kind: "open" };
  return { kind: "recorded", step: toStepRecord(row as StepRow) };
}

/** Bounds a read-only transaction's idle time. */
export async function openReadOnly(
  tx: SqlQueryable,
  q: TransactionStatements,
  idleTimeoutMs: number,
): Promise<void> {
  await tx.query(q.openReadOnly, [String(idleTimeoutMs)]);
}

/** Inserts the checkpoint; false when the position was already taken (nothing written). */
export async function insertCheckpoint(
  tx: SqlQueryable,
  q: TransactionStatements,
  step: StepRecord,
): Promise<boolean> {
  const rows = await tx.query(q.insert, stepValues(step));
  return rows.length === 1;
}

/** The checkpoint at `position`, if any. */
export async function getCheckpoint(
  db: SqlQueryable,
  q: TransactionStatements,
  workflowId: string,
  position: number,
): Promise<StepRecord | undefined> {
  const [row] = await db.query<StepRow>(q.get, [workflowId, position]);
  return row ? toStepRecord(row) : undefined;
}
