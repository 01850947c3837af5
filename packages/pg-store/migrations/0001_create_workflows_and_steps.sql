-- Workflows and their checkpoints. {{schema}} is replaced by the quoted schema name.
-- Serialized values are text, never jsonb: jsonb reorders keys, and replay needs the exact bytes.
-- Timestamps are bigint milliseconds since the epoch, like the TypeScript side.

create table {{schema}}.workflows (
  workflow_id        text primary key,
  name               text not null,
  status             text not null
                     check (status in ('PENDING', 'SUCCESS', 'ERROR', 'CANCELLED', 'DEAD_LETTER')),
  input              text not null,
  output             text,
  error              text,
  executor_id        text not null,
  parent_workflow_id text,
  -- Restarts by recovery since the workflow last made progress.
  recovery_attempts  int not null default 0,
  -- Checkpoint count at the last recovery claim; more checkpoints now means progress.
  recovery_progress  int not null default 0,
  created_at         bigint not null,
  updated_at         bigint not null
);

-- Launch-time recovery: this executor's unfinished workflows, and nothing else.
create index workflows_recovery_idx on {{schema}}.workflows (executor_id) where status = 'PENDING';

create index workflows_parent_idx on {{schema}}.workflows (parent_workflow_id)
  where parent_workflow_id is not null;

-- No foreign key to workflows: the check would lock the workflow row (a WAL write) on every
-- checkpoint, the hottest insert we have, and the engine always creates the workflow first.
create table {{schema}}.steps (
  workflow_id       text not null,
  position          int not null check (position >= 0),
  name              text not null,
  output            text,
  error             text,
  child_workflow_id text,
  attempts          int not null,
  started_at        bigint not null,
  completed_at      bigint not null,
  primary key (workflow_id, position)
);
