-- A queue item goes with its workflow again, whoever deletes the workflow. Migration 0016 dropped
-- the foreign key and with it the cascade; this version's retention and deleteWorkflows delete
-- the items themselves, but an engine of an earlier version running beside it on the same schema
-- (a rolling deploy, docs/versioning.md) deletes workflows trusting the cascade, and so may an
-- operator. A left item holds its workflow's ID and dedup key for ever: enqueues of either fail
-- and a fork to a queue under that ID hits queue_items_pkey.
--
-- 1. An AFTER DELETE trigger, once per statement, deletes the items of the deleted workflows
--    (its transition table). Nothing runs on insert or update: the per-item cost 0016 removed
--    stays removed. A statement that already deleted the items (this version's retention)
--    leaves the trigger one primary-key probe per workflow that finds nothing.
-- 2. Items an earlier engine left since 0016 are deleted.
--
-- Both tables are locked first, workflows before queue_items as the statements that write both
-- take them, so the migration waits at its first statement or not at all.

lock table {{schema}}.workflows, {{schema}}.queue_items in share row exclusive mode;

create function {{schema}}.delete_items_of_deleted_workflows() returns trigger
language plpgsql as $$
begin
  delete from {{schema}}.queue_items q using gone g where q.workflow_id = g.workflow_id;
  return null;
end $$;

create trigger workflows_delete_queue_items after delete on {{schema}}.workflows
  referencing old table as gone
  for each statement execute function {{schema}}.delete_items_of_deleted_workflows();

delete from {{schema}}.queue_items q
where not exists (select 1 from {{schema}}.workflows w where w.workflow_id = q.workflow_id);
