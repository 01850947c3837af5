-- Many processes, one database: executors heartbeat, each workflow records who owns it at which
-- epoch and which application version it runs on, and finished workflows can be deleted in
-- batches. Timestamps stay bigint epoch milliseconds, always from the database clock.

-- One row per engine that ever heartbeated. It is expired when it stopped, or when
-- heartbeat_at + lease_ms has passed on the database clock: others then take over its workflows.
create table {{schema}}.executors (
  executor_id  text primary key,
  app_version  text,
  lease_ms     bigint not null check (lease_ms >= 0),
  heartbeat_at bigint not null,
  status       text not null check (status in ('alive', 'stopped')),
  started_at   bigint not null
);

-- owner_epoch increases whenever a workflow changes owner (recovery, takeover, resume); a write
-- fenced with an older epoch is rejected. app_version null means any version may run it.
alter table {{schema}}.workflows
  add column owner_epoch int not null default 0,
  add column app_version text;

-- Takeover looks up PENDING workflows by executor: 0001's workflows_recovery_idx
-- (executor_id) where status = 'PENDING' is exactly that index, so none is added here.

-- Retention: the oldest finished workflows first.
create index workflows_finished_idx on {{schema}}.workflows (updated_at)
  where status in ('SUCCESS', 'ERROR', 'CANCELLED');

-- Retention deletes a finished workflow's messages by destination, consumed or not.
create index messages_destination_idx on {{schema}}.messages (destination_id);
