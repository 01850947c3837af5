-- What migration 0020 left to waiters that suspended before it (found by its review):
--
-- 1. A suspension in force that waits for the end of a workflow missing when it was written (an
--    engine before 0020's code suspends so; 0020's suspension answers "arrived" instead) had no
--    row to mark, and a finish of that workflow created later wakes nobody. Suspensions written
--    by such an engine now get a due time at most a second ahead while a workflow they await is
--    missing, so they read again as a poll would: no wake-up is lost during a rolling deploy
--    (docs/versioning.md), at one read a second per such waiter until every engine runs 0020.
--    The mark trigger and this one run only for suspensions that wait for a workflow's end.
-- 2. Suspensions in force now: what they await is marked again, and those awaiting a workflow
--    that is missing or already ended are made due, to read again.
--
-- The table is locked first, as 0017 locks it, so that no suspension or finish falls between
-- the backfill and the new trigger.

lock table {{schema}}.workflows in share row exclusive mode;

-- Only what waits for a workflow's end: a cheap test of the keys before any call (a message
-- topic naming "status:" costs one call that marks nothing).
drop trigger workflows_mark_awaited on {{schema}}.workflows;

create trigger workflows_mark_awaited after update of wake_keys on {{schema}}.workflows
  for each row
  when (new.wake_keys is not null and array_to_string(new.wake_keys, ' ') like '%status:%')
  execute function {{schema}}.mark_awaited();

-- Before the row is written, so it only sets the waiter's own due time: a BEFORE trigger that
-- wrote other rows would fail a batch whose waiter awaits another member of the batch.
create function {{schema}}.due_soon_when_awaiting_missing() returns trigger
language plpgsql as $$
declare
  soon bigint;
begin
  if exists (select 1 from unnest(new.wake_keys) k
             where k like 'status:%'
               and not exists (select 1 from {{schema}}.workflows w
                               where w.workflow_id = substr(k, 8))) then
    soon := floor(extract(epoch from statement_timestamp()) * 1000)::bigint + 1000;
    new.wake_at := least(coalesce(new.wake_at, soon), soon);
  end if;
  return new;
end $$;

create trigger workflows_due_when_awaiting_missing before update of wake_keys
  on {{schema}}.workflows
  for each row
  when (new.wake_keys is not null and array_to_string(new.wake_keys, ' ') like '%status:%')
  execute function {{schema}}.due_soon_when_awaiting_missing();

update {{schema}}.workflows set awaited = true
where workflow_id in (
    select substr(k, 8) from {{schema}}.workflows w, unnest(w.wake_keys) k
    where w.wake_keys is not null and k like 'status:%')
  and awaited is not true;

update {{schema}}.workflows w set wake_at = 0
where w.wake_keys is not null and w.status = 'PENDING' and w.wake_epoch = w.owner_epoch
  and w.wake_at is distinct from 0
  and exists (
    select 1 from unnest(w.wake_keys) k
    where k like 'status:%'
      and not exists (
        select 1 from {{schema}}.workflows f
        where f.workflow_id = substr(k, 8)
          and f.status not in ('SUCCESS', 'ERROR', 'CANCELLED', 'DEAD_LETTER')));
