-- Suspensions that wait for arrivals (decision 0014): a workflow suspended in recv, getEvent, a
-- child's result or a race keeps the keys of what it waits for ('message:<id>:<topic>',
-- 'event:<id>:<key>', 'status:<id>'). The write that makes one arrive (a message inserted, an
-- event set, a workflow reaching a final status) sets wake_at = 0, due at once, on the
-- suspensions in force that wait for it, and notifies their executor ('wake'). The triggers run
-- inside that write's statement, under a lock on the workflow row concerned, and their queries
-- take a fresh snapshot: a suspension written under the same lock either committed before (and
-- is woken here) or checks the arrival after this write committed (and does not suspend).

alter table {{schema}}.workflows add column wake_keys text[];

-- Which suspensions in force wait for a key; only those are indexed.
create index workflows_wake_keys_idx on {{schema}}.workflows using gin (wake_keys)
  where status = 'PENDING' and wake_epoch = owner_epoch and wake_keys is not null;

-- Makes due the suspensions in force waiting for any of `keys`, and tells their executors.
create function {{schema}}.wake_suspended(keys text[]) returns void
language plpgsql as $$
declare
  woken record;
begin
  for woken in
    update {{schema}}.workflows set wake_at = 0
    where wake_keys && keys and status = 'PENDING' and wake_epoch = owner_epoch
      and wake_at is distinct from 0
    returning workflow_id, executor_id
  loop
    perform pg_notify('{{channel}}',
      json_build_array('wake', left(woken.workflow_id, 200), left(woken.executor_id, 200))::text);
  end loop;
end $$;

-- A message: the destination row is locked as a suspension of it locks it, then its waiters woken.
create function {{schema}}.wake_on_message() returns trigger
language plpgsql as $$
begin
  perform 1 from {{schema}}.workflows where workflow_id = new.destination_id for no key update;
  perform {{schema}}.wake_suspended(array['message:' || new.destination_id || ':' || new.topic]);
  return null;
end $$;

create trigger messages_wake after insert on {{schema}}.messages
  for each row execute function {{schema}}.wake_on_message();

-- An event: the setter's row is share-locked (a suspension waiting for it locks it exclusively).
create function {{schema}}.wake_on_event() returns trigger
language plpgsql as $$
begin
  perform 1 from {{schema}}.workflows where workflow_id = new.workflow_id for share;
  perform {{schema}}.wake_suspended(array['event:' || new.workflow_id || ':' || new.key]);
  return null;
end $$;

create trigger events_wake after insert or update on {{schema}}.events
  for each row execute function {{schema}}.wake_on_event();

-- A workflow finished: its row is locked by the update that finished it.
create function {{schema}}.wake_on_finish() returns trigger
language plpgsql as $$
begin
  perform {{schema}}.wake_suspended(array['status:' || new.workflow_id]);
  return null;
end $$;

create trigger workflows_finish_wake after update of status on {{schema}}.workflows
  for each row
  when (new.status in ('SUCCESS', 'ERROR', 'CANCELLED', 'DEAD_LETTER')
        and old.status is distinct from new.status)
  execute function {{schema}}.wake_on_finish();
