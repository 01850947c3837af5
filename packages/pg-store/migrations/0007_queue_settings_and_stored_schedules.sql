-- Runtime control of queues and schedules (@cairn/queue). A queue's row records how the
-- processes that serve it define it (so a client can check an enqueue and a listing can show
-- it) and the limits set at runtime, which replace the defined ones for every process at its
-- next claim. Schedules gain the columns of schedules stored at runtime; a row without a cron
-- expression only records the ticks of a schedule defined in code.

create table {{schema}}.queues (
  queue_name     text primary key,
  -- From the latest process that served the queue; null until one did.
  partitioned    boolean,
  defined_limits jsonb,
  -- Set at runtime; while not null, these limits replace the defined ones everywhere.
  limits         jsonb,
  updated_at     bigint not null
);

alter table {{schema}}.schedules
  alter column last_tick_at drop not null,
  add column cron           text,
  add column workflow_name  text,
  add column timezone       text,
  add column missed         text check (missed in ('skip', 'backfill')),
  add column max_backfill   int,
  add column queue_name     text,
  add column partition_key  text,
  -- The serialized value passed to each run as `context`.
  add column context        text,
  add column paused         boolean not null default false,
  add column revision       int not null default 0,
  add column created_at     bigint;
