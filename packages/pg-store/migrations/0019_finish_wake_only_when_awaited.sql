-- A finish looks for suspended waiters only when someone waits for that workflow (issue 11).
-- Migration 0015's statement-level trigger ran on every UPDATE of workflows (claims,
-- suspensions, wake-ups, finishes): it copied each updated row into a transition table and ran a
-- PL/pgSQL function and a GIN lookup, about 0.22 ms of a lone finish's 0.36 ms, though most
-- finished workflows have no waiter.
--
-- 1. `awaited` is set on a workflow once a suspension waits for its end: by a trigger on the
--    waiter's row when its wake_keys are written (so a suspension written by an engine of an
--    earlier version sets it too), for each key 'status:<id>'. It is never cleared (a finish of a
--    row still marked finds no waiter and stops). It is in no index, so setting it is a HOT update.
-- 2. The finish trigger is a row trigger whose WHEN clause reads the finished row:
--    `new.awaited` and a change to a final status. For a workflow nobody waits for, Postgres
--    queues nothing and calls nothing.
--
-- No wake-up is lost (decision 0014). A suspension waiting for X first locks X's row (`for no
-- key update`, suspensions.ts) and, in the same transaction, checks X's status and writes its
-- wake_keys, whose trigger sets X.awaited under that lock. A finish of X updates X's row, so the
-- two are ordered by X's row lock: a finish that locked X first has committed before the
-- suspension checks X and sees X final (it does not suspend); a finish that locks X after waits
-- for the suspension to commit and then updates the latest version of the row, which carries
-- `awaited`, so its trigger runs, and its lookup (a fresh snapshot) finds the suspension.
-- test/finish-wake.test.ts forces that second order.
--
-- Suspensions in force now mark what they wait for, under the table lock of the ALTER below, so
-- none is written between the mark and the new triggers.

alter table {{schema}}.workflows add column awaited boolean;

create function {{schema}}.mark_awaited() returns trigger
language plpgsql as $$
begin
  update {{schema}}.workflows set awaited = true
  where workflow_id in (
      select substr(k, 8) from unnest(new.wake_keys) k where k like 'status:%')
    and awaited is not true;
  return null;
end $$;

create trigger workflows_mark_awaited after update of wake_keys on {{schema}}.workflows
  for each row
  when (new.wake_keys is not null and new.wake_keys is distinct from old.wake_keys)
  execute function {{schema}}.mark_awaited();

drop trigger workflows_finish_wake on {{schema}}.workflows;
drop function {{schema}}.wake_on_finishes();

create function {{schema}}.wake_on_finish() returns trigger
language plpgsql as $$
begin
  perform {{schema}}.wake_suspended(array['status:' || new.workflow_id]);
  return null;
end $$;

create trigger workflows_finish_wake after update on {{schema}}.workflows
  for each row
  when (new.awaited and new.status in ('SUCCESS', 'ERROR', 'CANCELLED', 'DEAD_LETTER')
        and old.status is distinct from new.status)
  execute function {{schema}}.wake_on_finish();

update {{schema}}.workflows set awaited = true
where workflow_id in (
    select substr(k, 8) from {{schema}}.workflows w, unnest(w.wake_keys) k
    where w.wake_keys is not null and k like 'status:%')
  and awaited is not true;
