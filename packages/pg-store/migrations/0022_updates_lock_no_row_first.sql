-- An update of a workflow row no longer locks the row first (issue 11). Migration 0021 added a
-- BEFORE UPDATE row trigger (workflows_due_when_awaiting_missing). Postgres locks every row an
-- UPDATE changes before it runs a table's BEFORE UPDATE row triggers, whatever their column list
-- or WHEN clause: each claim, finish, suspension and wake-up of any workflow wrote a row lock
-- (a WAL record and a dirtied page) before its update, though the trigger runs only for
-- suspensions that await a workflow's end (pg_waldump: one Heap/LOCK per claimed and per finished
-- workflow).
--
-- What it did moves into the AFTER trigger that runs for exactly those suspensions
-- (workflows_mark_awaited, same condition), in the same order: whether an awaited workflow is
-- missing is read first, then the awaited ones are marked, then, if one was missing, the
-- waiter's due time is set at most a second ahead by an update of the waiter's own row, which
-- this statement has just written and still holds. Writing it after the statement instead of
-- before changes nothing a reader can see: both are in the suspension's transaction. The update
-- names only wake_at, so no trigger on wake_keys runs again.
--
-- Rolling deploy: the triggers belong to the database; an engine of any version writes the same
-- suspensions and gets the same due times. Replaced in one transaction, under the lock 0021 took.

lock table {{schema}}.workflows in share row exclusive mode;

drop trigger workflows_due_when_awaiting_missing on {{schema}}.workflows;
drop function {{schema}}.due_soon_when_awaiting_missing();

create or replace function {{schema}}.mark_awaited() returns trigger
language plpgsql as $$
declare
  missing boolean;
  soon bigint;
begin
  missing := exists (select 1 from unnest(new.wake_keys) k
                     where k like 'status:%'
                       and not exists (select 1 from {{schema}}.workflows w
                                       where w.workflow_id = substr(k, 8)));
  update {{schema}}.workflows set awaited = true
  where workflow_id in (
      select substr(k, 8) from unnest(new.wake_keys) k where k like 'status:%')
    and awaited is not true;
  if missing then
    soon := floor(extract(epoch from statement_timestamp()) * 1000)::bigint + 1000;
    update {{schema}}.workflows set wake_at = least(coalesce(wake_at, soon), soon)
    where workflow_id = new.workflow_id;
  end if;
  return null;
end $$;
