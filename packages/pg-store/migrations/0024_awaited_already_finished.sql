-- A suspension whose awaited workflow ended while the suspension's statement ran is made due
-- (found by the review of 0022). The mark trigger reads whether an awaited workflow is missing,
-- then marks the awaited ones; since 0022 it runs at the end of the suspension's statement, not
-- as each row is written, so a workflow created and finished while a large suspension batch was
-- still running was present at the read (no due time) and ended before its mark (its finish saw
-- no mark and woke nobody): the waiter waited for ever. Only a suspension written without a look
-- at what it awaits can meet that: an engine before 0020's code, during a rolling deploy.
--
-- After the marks, the trigger now also reads whether an awaited workflow has already ended; if
-- so the waiter is due within a second, as for a missing one, and reads again as a poll would.
-- Each awaited workflow is then in one of three cases: missing at the first read (made due), ended
-- at the second (made due), or marked before it ends (its finish waits for the mark's row lock,
-- then sees the mark and wakes the waiter). The second read runs after the marks in a snapshot of
-- its own, so a finish that held the row when the mark came is seen.
--
-- Rolling deploy: the trigger belongs to the database; engines of every version get it at once.
-- Replaced in one transaction, under the same lock as 0021 and 0022.

lock table {{schema}}.workflows in share row exclusive mode;

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
  if missing or exists (
      select 1 from unnest(new.wake_keys) k
      join {{schema}}.workflows w on w.workflow_id = substr(k, 8)
      where k like 'status:%'
        and w.status in ('SUCCESS', 'ERROR', 'CANCELLED', 'DEAD_LETTER')) then
    soon := floor(extract(epoch from statement_timestamp()) * 1000)::bigint + 1000;
    update {{schema}}.workflows set wake_at = least(coalesce(wake_at, soon), soon)
    where workflow_id = new.workflow_id;
  end if;
  return null;
end $$;
