-- Queue items cost less to write (issue 11): an enqueue writes an item beside its workflow, and
-- a bulk enqueue of 1,000 spent about a quarter of its server time on what two of the item's
-- structures added per row.
--
-- 1. No foreign key from queue_items to workflows. Its check ran once per inserted item (a
--    lookup and a logged row lock of the workflow, as steps.workflow_id avoids in 0001). Every
--    statement that writes an item writes or locks its workflow in the same statement (enqueue,
--    debounce, resume, fork), and the statements that delete workflows (retention, deleteWorkflows)
--    delete their items with their other rows, as the cascade did.
-- 2. The index of when items become available holds only delayed ones (available later than
--    enqueued: a delay, a debounce, a start time set later): the claim and the counts ask it only
--    for items not yet available, and most items never are.

alter table {{schema}}.queue_items drop constraint queue_items_workflow_id_fkey;

drop index {{schema}}.queue_items_available_idx;

create index queue_items_delayed_idx on {{schema}}.queue_items (queue_name, available_at)
  where started_at is null and available_at > enqueued_at;
