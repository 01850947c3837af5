/**
 * The statements that move PENDING workflows to an executor for running: the launch-time claim
 * of its own workflows, and the takeover of workflows whose executor stopped heartbeating. Both
 * share one update: it counts recovery attempts (reset to 1 after progress), dead-letters a
 * workflow past its limit, and increments `owner_epoch`, which fences off any older execution.
 * A workflow suspended in force (decision 0014) moves with its suspension instead: the new owner
 * gets it suspended at the new epoch, its recovery attempts untouched, and it is not handed back
 * to run; the new owner's claim of due suspensions wakes it when it is due.
 */
import type { LaunchClaim, TakeoverClaim, WorkflowRecord } from "@cairn/core";
import type { SqlQueryable } from "../executors/sql-executor.js";
import { toWorkflowRecord, workflowColumnsOf, type WorkflowRow } from "../rows.js";
import type { SchemaNames } from "../schema-names.js";
import { NOW_MS } from "./now-ms.js";

export type ClaimStatements = ReturnType<typeof claimStatements>;

/** Executors alive on the database clock: within their lease and not stopped. */
const aliveCte = (executors: string): string => `
      alive as (
        select executor_id, app_version from ${executors}
        where status = 'alive' and heartbeat_at + lease_ms >= ${NOW_MS}
      )`;

/**
 * The version rule of claims, over workflow `p` and the claimer's version in `param` (null: any
 * version): its own version, no version, or a version no alive executor runs (orphaned).
 */
const versionAllowed = (param: string): string => `
          (${param}::text is null or p.app_version is null or p.app_version = ${param}::text
           or not exists (select 1 from alive a where a.app_version = p.app_version))`;

/** Whether workflow `p`'s executor is gone: stopped, expired or unknown (`force`: every one). */
const executorGone = (force: string): string => `
          (${force}::boolean or not exists (
            select 1 from alive a where a.executor_id = p.executor_id
          ))`;

/** Whether claimed row `w` (as it stood) is suspended in force: it moves suspended. */
const SUSPENDED = "(w.wake_epoch is not null and w.wake_epoch = w.owner_epoch)";

/** The SQL text of the claim statements for one schema. */
export function claimStatements({ quoted, workflows, steps, executors }: SchemaNames) {
  /** Workflow `p` holds no queue item (`@cairn/queue` puts those back in their queue itself). */
  const NOT_QUEUED = `not exists (select 1 from ${quoted}.queue_items qi where qi.workflow_id = p.workflow_id)`;
  /**
   * Moves the rows of the `candidate` CTE (workflow_id, executor_id, name, recovery_attempts,
   * recovery_progress) to executor $1; limits by name in $3/$4. Attempts reset to 1 when the
   * checkpoint count grew since the last claim (progress); where `count` (SQL) is false they and
   * the progress stay as they are and nothing is dead-lettered (the epoch still moves). The owner
   * re-check makes a row that changed hands after this statement's snapshot drop out instead of
   * being claimed twice. Suspended rows (the re-check reads the row as locked) move suspended and
   * are not returned. Rows come back oldest first.
   */
  const claimCandidates = (count: string) => `,
      moved as (
      update ${workflows} w
      set executor_id = $1,
          owner_epoch = w.owner_epoch + 1,
          wake_epoch = case when ${SUSPENDED} then w.owner_epoch + 1 end,
          wake_at = case when ${SUSPENDED} then w.wake_at end,
          wake_keys = case when ${SUSPENDED} then w.wake_keys end,
          recovery_attempts = case when ${SUSPENDED} or not ${count} then w.recovery_attempts
                                   else c.attempts end,
          recovery_progress = case when ${SUSPENDED} or not ${count} then w.recovery_progress
                                   else c.progress end,
          status = case when not ${SUSPENDED} and ${count} and c.attempts > c.max_attempts
                        then 'DEAD_LETTER' else 'PENDING' end,
          completed_at = case when not ${SUSPENDED} and ${count} and c.attempts > c.max_attempts
                              then ${NOW_MS} end,
          updated_at = ${NOW_MS}
      from (
        select p.workflow_id, p.executor_id, s.progress, l.max_attempts,
               case when s.progress > p.recovery_progress then 1
                    else p.recovery_attempts + 1 end as attempts
        from candidate p
        -- Not counted: no step is read.
        cross join lateral (
          select case when ${count} then (
            select count(*)::int from ${steps} st where st.workflow_id = p.workflow_id
          ) end as progress
        ) s
        left join unnest($3::text[], $4::int[]) as l(name, max_attempts) on l.name = p.name
      ) c
      -- Collated "C": no partial index of PENDING workflows answers it, so each candidate is
      -- found by primary key, never by reading every PENDING workflow of the executor.
      where w.workflow_id = c.workflow_id and w.status = 'PENDING' collate "C"
        and w.executor_id = c.executor_id
      returning ${workflowColumnsOf("w")}, ${SUSPENDED} as suspended
      )
      select * from moved where not suspended order by created_at, workflow_id collate "C"`;
  return {
    // $6 is null here: every workflow of the executor.
    claim: `
      with ${aliveCte(executors)},
      candidate as (
        select workflow_id, executor_id, name, recovery_attempts, recovery_progress
        from ${workflows} p
        where p.executor_id = $1 and p.status = 'PENDING' and p.name = any($2::text[])
          and ${versionAllowed("$5")} and $6::text[] is null
      )
      ${claimCandidates("$7::boolean")}`,
    // The workflows of $6 only (a page read back for room): found by primary key. As one
    // statement with "$6 is null or p.workflow_id = any($6)", the generic plan read every PENDING
    // workflow of the executor and searched the array for each, at every page: at 50,000 waiting
    // a page claim ran for minutes.
    claimAmong: `
      with ${aliveCte(executors)},
      candidate as (
        select workflow_id, executor_id, name, recovery_attempts, recovery_progress
        from ${workflows} p
        where p.workflow_id = any($6::text[]) and p.executor_id = $1
          and p.status = 'PENDING' collate "C" and p.name = any($2::text[])
          and ${versionAllowed("$5")}
      )
      ${claimCandidates("$7::boolean")}`,
    // $4 is null here: every workflow of the executor.
    unknown: `
      with ${aliveCte(executors)}
      select workflow_id, name from ${workflows} p
      where p.executor_id = $1 and p.status = 'PENDING' and p.name <> all($2::text[])
        and ${versionAllowed("$3")} and $4::text[] is null
      order by created_at, workflow_id`,
    // The workflows of $4 only, by primary key (as `claimAmong`).
    unknownAmong: `
      with ${aliveCte(executors)}
      select workflow_id, name from ${workflows} p
      where p.workflow_id = any($4::text[]) and p.executor_id = $1
        and p.status = 'PENDING' collate "C" and p.name <> all($2::text[])
        and ${versionAllowed("$3")}
      order by created_at, workflow_id`,
    // Workflows of other executors that are stopped, past their lease or unknown ($6: treat
    // every other executor as gone), under the version rule. SKIP LOCKED makes concurrent
    // takeovers take disjoint sets; a row one of them claimed meanwhile fails the re-check (its
    // new owner is alive) and is left alone. Workflows a queue claimed are not taken over: the
    // queue's next claim puts them back in the queue, so they restart within its limits.
    takeOver: `
      with ${aliveCte(executors)},
      candidate as (
        select workflow_id, executor_id, name, recovery_attempts, recovery_progress
        from ${workflows} p
        where p.status = 'PENDING' and p.executor_id <> $1 and p.name = any($2::text[])
          and ${executorGone("$6")} and ${versionAllowed("$5")} and ${NOT_QUEUED}
        order by p.created_at, p.workflow_id
        limit $7::bigint
        for update of p skip locked
      )
      ${claimCandidates("true")}`,
    // Gives back the attempt a claim counted, for workflows ($2) still PENDING at the epochs it
    // gave them ($3) under executor $1; found by primary key, as claimAmong.
    refund: `
      update ${workflows} w
      set recovery_attempts = greatest(w.recovery_attempts - 1, 0), updated_at = ${NOW_MS}
      from unnest($2::text[], $3::int[]) as c(workflow_id, owner_epoch)
      where w.workflow_id = c.workflow_id and w.executor_id = $1
        and w.owner_epoch = c.owner_epoch and w.status = 'PENDING' collate "C"
      returning w.workflow_id`,
    // What a takeover would claim but for the name (any version), at most $4 of them.
    takeOverUnknown: `
      with ${aliveCte(executors)}
      select workflow_id, name from ${workflows} p
      where p.status = 'PENDING' and p.executor_id <> $1 and p.name <> all($2::text[])
        and ${executorGone("$3")} and ${NOT_QUEUED}
      order by created_at, workflow_id
      limit $4::bigint`,
  };
}

/**
 * Per-name recovery limits as two arrays (names, limits) for `unnest`; a limit that is not a
 * finite count means none. Shared with the queue claim, which counts recoveries the same way.
 */
export function recoveryLimitParams(
  maxRecoveryAttempts: Readonly<Record<string, number>>,
): [string[], number[]] {
  const limits = Object.entries(maxRecoveryAttempts).filter(([, n]) => Number.isFinite(n));
  return [
    limits.map(([name]) => name),
    limits.map(([, n]) => Math.max(-1, Math.min(2 ** 31 - 1, Math.floor(n)))), // int4 holds all
  ];
}

/** Claims this executor's recoverable workflows (or those of them given); rows come back updated. */
export async function claimWorkflows(
  db: SqlQueryable,
  q: ClaimStatements,
  claim: LaunchClaim,
): Promise<WorkflowRecord[]> {
  const [names, limits] = recoveryLimitParams(claim.maxRecoveryAttempts);
  const rows = await db.query<WorkflowRow>(claim.workflowIds ? q.claimAmong : q.claim, [
    claim.executorId,
    claim.names,
    names,
    limits,
    claim.appVersion ?? null,
    claim.workflowIds ?? null,
    claim.countAttempts !== false,
  ]);
  return rows.map(toWorkflowRecord);
}

/** This executor's PENDING workflows (of a version it may run) whose names are not in `names`. */
export async function listUnknownWorkflows(
  db: SqlQueryable,
  q: ClaimStatements,
  claim: LaunchClaim,
): Promise<{ workflowId: string; name: string }[]> {
  const statement = claim.workflowIds ? q.unknownAmong : q.unknown;
  const rows = await db.query<{ workflow_id: string; name: string }>(statement, [
    claim.executorId,
    claim.names,
    claim.appVersion ?? null,
    claim.workflowIds ?? null,
  ]);
  return rows.map((r) => ({ workflowId: r.workflow_id, name: r.name }));
}

/** The most rows one takeover touches; `null` (no limit) for a limit that is not finite. */
const takeoverLimit = (claim: TakeoverClaim): number | null =>
  Number.isFinite(claim.limit) ? Math.max(0, Math.floor(claim.limit)) : null;

/** Takes over up to `claim.limit` workflows of gone executors; the rows come back updated. */
export async function takeOverWorkflows(
  db: SqlQueryable,
  q: ClaimStatements,
  claim: TakeoverClaim,
): Promise<WorkflowRecord[]> {
  const [names, limits] = recoveryLimitParams(claim.maxRecoveryAttempts);
  const rows = await db.query<WorkflowRow>(q.takeOver, [
    claim.executorId,
    claim.names,
    names,
    limits,
    claim.appVersion ?? null,
    claim.ignoreLeases === true,
    takeoverLimit(claim),
  ]);
  return rows.map(toWorkflowRecord);
}

/** PENDING workflows of gone executors whose names are not in `names`, untouched. */
export async function listTakeoverUnknown(
  db: SqlQueryable,
  q: ClaimStatements,
  claim: TakeoverClaim,
): Promise<{ workflowId: string; name: string }[]> {
  const rows = await db.query<{ workflow_id: string; name: string }>(q.takeOverUnknown, [
    claim.executorId,
    claim.names,
    claim.ignoreLeases === true,
    takeoverLimit(claim),
  ]);
  return rows.map((r) => ({ workflowId: r.workflow_id, name: r.name }));
}

/** Gives back the recovery attempt counted for `claimed` (see `refundRecoveryAttempts`). */
export async function refundRecoveryAttempts(
  db: SqlQueryable,
  q: ClaimStatements,
  executorId: string,
  claimed: readonly { readonly workflowId: string; readonly ownerEpoch: number }[],
): Promise<string[]> {
  if (claimed.length === 0) return [];
  const rows = await db.query<{ workflow_id: string }>(q.refund, [
    executorId,
    claimed.map((c) => c.workflowId),
    claimed.map((c) => c.ownerEpoch),
  ]);
  return rows.map((r) => r.workflow_id);
}
