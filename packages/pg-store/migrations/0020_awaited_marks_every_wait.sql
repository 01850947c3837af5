-- Migration 0019 marked a workflow `awaited` only through a suspension that wrote new wake keys
-- on a waiter while the awaited row existed; its review found three waits that left the finish
-- unmarked, so that the finish woke nobody (a lost wake-up: the waiter had no due time):
--
-- 1. A suspension that wrote the same keys again (a waiter suspended, put back by a queue claim
--    or recovery, and suspending again on the same workflow) fired no mark. The mark now runs
--    whenever keys are written; `awaited is not true` keeps a repeat a no-op.
-- 2. A workflow that did not exist yet (`ctx.race` over `engine.retrieve` of a run started
--    later): there was no row to mark, and the row inserted later came unmarked. The suspension
--    now answers "arrived" for a status it cannot see (suspensions.ts), so the wait reads again
--    and waits in memory; a workflow can only leave memory waiting for one that exists.
-- 3. An awaited workflow deleted (retention, deleteWorkflows) and created again under its ID:
--    the new row came unmarked. Deleting an awaited workflow now wakes its waiters, which read
--    again and find it missing (2).

drop trigger workflows_mark_awaited on {{schema}}.workflows;

create trigger workflows_mark_awaited after update of wake_keys on {{schema}}.workflows
  for each row
  when (new.wake_keys is not null)
  execute function {{schema}}.mark_awaited();

create function {{schema}}.wake_on_delete() returns trigger
language plpgsql as $$
begin
  perform {{schema}}.wake_suspended(array['status:' || old.workflow_id]);
  return null;
end $$;

create trigger workflows_delete_wake after delete on {{schema}}.workflows
  for each row
  when (old.awaited)
  execute function {{schema}}.wake_on_delete();
