-- A step's failed attempt that will be retried: how many attempts failed and when the next one
-- is due, so a crash between attempts resumes at the next attempt number and waits only the rest
-- of the backoff. Written only on the retry path (a step whose first attempt succeeds writes
-- nothing here) and read only when a run resumes a workflow. A row whose position has a
-- checkpoint in `steps` is moot. Unlike `steps`, it has a foreign key: its writes are rare, and
-- it goes with its workflow (retention, deleteWorkflows) without a statement of its own.

create table {{schema}}.step_attempts (
  workflow_id text not null references {{schema}}.workflows (workflow_id) on delete cascade,
  position int not null,
  name text not null,
  attempts int not null,
  next_attempt_at bigint not null,
  primary key (workflow_id, position)
);
