/**
 * What the chaos run records beside Cairn's own tables, in a schema `chaos` of its own cluster:
 * - `effects`: one row per step body that ran, written by the body itself in its own
 *   transaction (for the closing `transaction()`, in the transaction that records its checkpoint), with who ran it (executor, the epoch its run claimed) and, read in the same
 *   statement, who the database said owned the workflow at that moment;
 * - `ownership`: every change of a workflow's owner, epoch or status, logged by a trigger in the
 *   transaction that made it (so `pg_xact_commit_timestamp(xmin)` is that change's commit time);
 * - `heartbeats`: every executors-table write (heartbeat or stop), logged the same way.
 * The cluster runs with `track_commit_timestamp = on`, so the audit can order checkpoints,
 * ownership changes and effects on one clock. The triggers only append to these tables; they
 * change nothing Cairn reads.
 */
import type postgres from "postgres";

/** Creates the audit schema; call after Cairn's migrations created `cairn.*`. */
export async function installAudit(sql: postgres.Sql): Promise<void> {
  await sql.unsafe(`
    create schema chaos;
    create table chaos.effects (
      effect_id      uuid primary key,
      workflow_id    text not null,
      step           text not null,
      position       int not null,
      executor_id    text not null,
      run_epoch      int not null,
      run_id         text not null,
      attempt        int not null,
      pid            int not null,
      db_executor_id text,
      db_epoch       int,
      at             timestamptz not null default statement_timestamp()
    );
    create index effects_workflow_idx on chaos.effects (workflow_id, position);
    create table chaos.ownership (
      id          bigserial primary key,
      workflow_id text not null,
      executor_id text not null,
      owner_epoch int not null,
      status      text not null,
      updated_at  bigint not null,
      op          text not null
    );
    create function chaos.log_ownership() returns trigger language plpgsql as $$
    begin
      insert into chaos.ownership (workflow_id, executor_id, owner_epoch, status, updated_at, op)
      values (new.workflow_id, new.executor_id, new.owner_epoch, new.status, new.updated_at, tg_op);
      return null;
    end $$;
    create trigger chaos_ownership_insert after insert on cairn.workflows
      for each row execute function chaos.log_ownership();
    create trigger chaos_ownership_update after update on cairn.workflows
      for each row when (old.owner_epoch is distinct from new.owner_epoch
                         or old.executor_id is distinct from new.executor_id
                         or old.status is distinct from new.status)
      execute function chaos.log_ownership();
    create table chaos.heartbeats (
      id           bigserial primary key,
      executor_id  text not null,
      status       text not null,
      heartbeat_at bigint not null,
      lease_ms     bigint not null
    );
    create function chaos.log_heartbeat() returns trigger language plpgsql as $$
    begin
      insert into chaos.heartbeats (executor_id, status, heartbeat_at, lease_ms)
      values (new.executor_id, new.status, new.heartbeat_at, new.lease_ms);
      return null;
    end $$;
    create trigger chaos_heartbeats after insert or update on cairn.executors
      for each row execute function chaos.log_heartbeat();
  `);
}

/** One step body's effect row, as the body writes it. */
export interface EffectRow {
  readonly effectId: string;
  readonly workflowId: string;
  readonly step: string;
  readonly position: number;
  readonly executorId: string;
  readonly runEpoch: number;
  /** One call of the workflow body in one process. */
  readonly runId: string;
  readonly attempt: number;
}

/**
 * Writes an effect with the database's view of the owner in the same statement: in its own
 * transaction on a client, or inside the caller's on a transaction handle. Idempotent on
 * `effectId`: a retry after a lost commit acknowledgement adds nothing.
 */
export async function insertEffect(
  sql: postgres.Sql | postgres.TransactionSql,
  effect: EffectRow,
): Promise<void> {
  await sql`
    insert into chaos.effects (effect_id, workflow_id, step, position, executor_id, run_epoch,
                               run_id, attempt, pid, db_executor_id, db_epoch)
    select ${effect.effectId}::uuid, ${effect.workflowId}, ${effect.step}, ${effect.position},
           ${effect.executorId}, ${effect.runEpoch}, ${effect.runId}, ${effect.attempt},
           ${process.pid},
           w.executor_id, w.owner_epoch
    from (select 1) one
    left join cairn.workflows w on w.workflow_id = ${effect.workflowId}
    on conflict (effect_id) do nothing`;
}
