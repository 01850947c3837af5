-- Findable runs: when a workflow last began to run (its creation, its claim from a queue, its
-- resume) and when it finished, so run time and queue wait can be read off a row; the queue's
-- priority, deduplication ID and partition key kept on the workflow (the queue item that holds
-- them is deleted once the workflow finished and left the rate window). Timestamps are bigint
-- epoch milliseconds on the database clock, like every other.

alter table {{schema}}.workflows
  add column started_at          bigint,
  add column completed_at        bigint,
  add column queue_priority      int,
  add column queue_dedup_id      text,
  add column queue_partition_key text;

-- Rows written before this migration: what is known for certain. A finished row's updated_at is
-- its finish (nothing updates a finished workflow); a workflow never queued started when it was
-- created; a queued one's item, while it exists, knows its claim and its queue fields.
update {{schema}}.workflows w
set completed_at = case when w.status in ('SUCCESS', 'ERROR', 'CANCELLED', 'DEAD_LETTER')
                        then w.updated_at end,
    started_at = case when w.queue_name is null and w.status <> 'ENQUEUED' then w.created_at
                      else (select q.started_at from {{schema}}.queue_items q
                            where q.workflow_id = w.workflow_id) end,
    queue_priority = (select q.priority from {{schema}}.queue_items q
                      where q.workflow_id = w.workflow_id),
    queue_dedup_id = (select q.dedup_id from {{schema}}.queue_items q
                      where q.workflow_id = w.workflow_id),
    queue_partition_key = (select nullif(q.partition_key, '') from {{schema}}.queue_items q
                           where q.workflow_id = w.workflow_id);

-- listWorkflows({ forkedFrom }): the forks of one workflow.
create index workflows_forked_from_idx on {{schema}}.workflows (forked_from)
  where forked_from is not null;
