-- The wake-up triggers of migration 0013, cheaper and safe at a million suspended workflows
-- (decision 0014, issue 11). Same guarantee: the write that makes an arrival happen makes the
-- suspensions waiting for it due, under the same locks, with queries that take a fresh snapshot.
--
-- 1. The lookup by key used the index of every suspension in force (workflows_suspended_idx,
--    whose predicate its WHERE clause implied) and filtered each row: at 100,000 suspended
--    sleepers every finish, send or event set read 100,000 index entries (20-30 ms; a batch of
--    1,000 finishes 23.6 s). It now finds candidates by key alone, which only the GIN index can
--    serve (its predicate is now `wake_keys is not null`), and checks each by primary key.
--    `fastupdate = off`: with a pending list every lookup reads the whole list until a vacuum
--    merges it (autovacuum may be behind or off).
-- 2. A message can only wake its destination: the trigger reads the destination's keys from the
--    row it locks and updates that row only when it waits for the message: no index lookup.
-- 3. Finishes are written in group-committed batches: one statement-level trigger per statement
--    reads the finished rows from its transition table and looks all their keys up at once,
--    instead of a PL/pgSQL call and a lookup per row.

drop index {{schema}}.workflows_wake_keys_idx;

create index workflows_wake_keys_idx on {{schema}}.workflows using gin (wake_keys)
  with (fastupdate = off) where wake_keys is not null;

-- Makes due the suspensions in force waiting for any of `keys`, and tells their executors.
create or replace function {{schema}}.wake_suspended(keys text[]) returns void
language plpgsql as $$
declare
  candidate text;
  woken record;
begin
  -- By key alone: no other index can serve this, so the plan cannot scan every suspension.
  for candidate in
    select workflow_id from {{schema}}.workflows where wake_keys && keys
  loop
    update {{schema}}.workflows set wake_at = 0
    where workflow_id = candidate and wake_keys && keys
      and status = 'PENDING' and wake_epoch = owner_epoch and wake_at is distinct from 0
    returning workflow_id, executor_id into woken;
    if found then
      perform pg_notify('{{channel}}',
        json_build_array('wake', left(woken.workflow_id, 200), left(woken.executor_id, 200))::text);
    end if;
  end loop;
end $$;

-- A message: the destination row is locked as a suspension of it locks it; only the destination
-- can wait for it, so its own keys (read under the lock, the latest committed) say whether to
-- wake it.
create or replace function {{schema}}.wake_on_message() returns trigger
language plpgsql as $$
declare
  key text := 'message:' || new.destination_id || ':' || new.topic;
  keys text[];
  woken record;
begin
  select wake_keys into keys from {{schema}}.workflows
  where workflow_id = new.destination_id for no key update;
  if keys is not null and key = any(keys) then
    update {{schema}}.workflows set wake_at = 0
    where workflow_id = new.destination_id
      and status = 'PENDING' and wake_epoch = owner_epoch and wake_at is distinct from 0
    returning workflow_id, executor_id into woken;
    if found then
      perform pg_notify('{{channel}}',
        json_build_array('wake', left(woken.workflow_id, 200), left(woken.executor_id, 200))::text);
    end if;
  end if;
  return null;
end $$;

-- Workflows finished: their rows are locked by the update that finished them. Once per
-- statement (a batch of finishes), over the rows it left in a final status. A row updated while
-- already final costs a lookup that finds nothing.
drop trigger workflows_finish_wake on {{schema}}.workflows;
drop function {{schema}}.wake_on_finish();

create function {{schema}}.wake_on_finishes() returns trigger
language plpgsql as $$
declare
  keys text[];
begin
  select array_agg('status:' || workflow_id) into keys from finished
  where status in ('SUCCESS', 'ERROR', 'CANCELLED', 'DEAD_LETTER');
  if keys is not null then
    perform {{schema}}.wake_suspended(keys);
  end if;
  return null;
end $$;

create trigger workflows_finish_wake after update on {{schema}}.workflows
  referencing new table as finished
  for each statement execute function {{schema}}.wake_on_finishes();
