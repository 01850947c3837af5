-- Talking to running workflows (messages, events, streams), deadlines and forks, and listing.
-- Serialized values stay text; timestamps stay bigint epoch milliseconds.

alter table {{schema}}.workflows
  add column deadline_at bigint,
  add column forked_from text;

-- listWorkflows pages by creation time, then ID (byte order, like the in-memory store).
create index workflows_created_idx on {{schema}}.workflows (created_at, workflow_id collate "C");

-- A message waits here until one recv takes it. A consumed row is marked, not deleted, so that
-- sending the same message_id again (a sender replaying after a crash) stays a duplicate.
create table {{schema}}.messages (
  message_id     text primary key,
  destination_id text not null,
  topic          text not null,
  message        text not null,
  -- Send order for FIFO per topic: created_at alone ties within a millisecond.
  seq            bigint generated always as identity,
  created_at     bigint not null,
  consumed_at    bigint
);

-- recv: the oldest waiting message of one workflow and topic; consumed rows drop out.
create index messages_waiting_idx on {{schema}}.messages (destination_id, topic, seq)
  where consumed_at is null;

-- The current value of each event; setEvent overwrites (last write wins).
create table {{schema}}.events (
  workflow_id text not null,
  key         text not null,
  value       text not null,
  updated_at  bigint not null,
  primary key (workflow_id, key)
);

-- Stream entries, keyed by the writing step's position so a replayed write appends nothing.
-- A closing entry has value null and closed true.
create table {{schema}}.streams (
  workflow_id text not null,
  key         text not null,
  position    int not null check (position >= 0),
  value       text,
  closed      boolean not null default false,
  primary key (workflow_id, key, position)
);
