-- Queues and cron schedules (@cairn/queue). A queue item sits beside each enqueued workflow:
-- while it waits (started_at null), while it runs (started, workflow PENDING) and, once the
-- workflow finished, until its start leaves the rate-limit window. What is running is never
-- written down: it is read from the workflow's status, so a process that dies leaks nothing.

-- Counts by status per queue, and listWorkflows({ queue }).
create index workflows_queue_idx on {{schema}}.workflows (queue_name, status)
  where queue_name is not null;

create table {{schema}}.queue_items (
  -- The foreign key is checked at the end of the statement, so one statement inserts the item
  -- first (where a dedup or debounce key can refuse it) and then the workflow. Deleting a
  -- workflow (retention) deletes its item.
  workflow_id         text primary key
                      references {{schema}}.workflows (workflow_id) on delete cascade,
  queue_name          text not null,
  -- '' on a queue that is not partitioned.
  partition_key       text not null default '',
  priority            int not null default 0,
  -- Enqueue order: FIFO within a priority (enqueued_at alone ties within a millisecond).
  seq                 bigint generated always as identity,
  dedup_id            text,
  debounce_key        text,
  -- A debounced item never becomes available later than this (first call + maxWaitMs).
  debounce_until      bigint,
  -- Not claimable before this (delays, debounce).
  available_at        bigint not null,
  -- The workflow's deadline is set to claim time + timeout_ms.
  timeout_ms          bigint,
  enqueued_at         bigint not null,
  -- Set by the claim; cleared when the item goes back to the queue (its executor died).
  started_at          bigint,
  -- The start before the item went back: it still counts against the rate limit.
  previous_started_at bigint,
  claimed_by          text
);

-- Claims read the head of a queue's (partition's) waiting items in priority, then FIFO, order.
create index queue_items_waiting_idx on {{schema}}.queue_items
  (queue_name, partition_key, priority, seq) where started_at is null;

-- When the next delayed item of a queue becomes available.
create index queue_items_available_idx on {{schema}}.queue_items (queue_name, available_at)
  where started_at is null;

-- Running counts, the rate-limit window and the sweep of finished items read started items.
create index queue_items_started_idx on {{schema}}.queue_items (queue_name, started_at)
  where started_at is not null;

create index queue_items_restarted_idx on {{schema}}.queue_items (queue_name, previous_started_at)
  where previous_started_at is not null;

-- One holder per dedup key and queue. A holder whose workflow finished keeps the key until an
-- enqueue that wants it releases it (or the sweep deletes the item).
create unique index queue_items_dedup_idx on {{schema}}.queue_items (queue_name, dedup_id)
  where dedup_id is not null;

-- One waiting workflow per debounce key and queue; a started one no longer holds the key.
create unique index queue_items_debounce_idx on {{schema}}.queue_items (queue_name, debounce_key)
  where debounce_key is not null and started_at is null;

-- The latest tick each cron schedule fired, for backfilling missed ticks.
create table {{schema}}.schedules (
  schedule_name text primary key,
  last_tick_at  bigint not null,
  updated_at    bigint not null
);
