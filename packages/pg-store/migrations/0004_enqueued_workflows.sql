-- Workflows that wait in a queue before any executor runs them: status ENQUEUED and the queue's
-- name. Only the columns the core store contract needs; a queue's own tables come with it.

alter table {{schema}}.workflows
  drop constraint workflows_status_check,
  add constraint workflows_status_check check (
    status in ('ENQUEUED', 'PENDING', 'SUCCESS', 'ERROR', 'CANCELLED', 'DEAD_LETTER')
  ),
  add column queue_name text;
