-- Suspension (decision 0014): a workflow waiting longer than the engine's threshold leaves memory,
-- and its row says when it is due. `wake_epoch` is the owner epoch the suspension was written
-- under: it counts only while `wake_epoch = owner_epoch`, so a recovery, takeover or resume (each
-- raises the epoch) voids it without touching those statements.

alter table {{schema}}.workflows
  add column wake_at bigint,
  add column wake_epoch int;

-- What is due for an executor, earliest first: only suspensions in force are indexed.
create index workflows_suspended_idx on {{schema}}.workflows (executor_id, wake_at)
  where status = 'PENDING' and wake_epoch = owner_epoch;

-- What an engine's poll may pick up: its PENDING workflows that are not suspended, so a million
-- sleepers never stand between the poll and the workflows it looks for.
create index workflows_runnable_idx on {{schema}}.workflows (executor_id, created_at)
  where status = 'PENDING' and wake_epoch is distinct from owner_epoch;
