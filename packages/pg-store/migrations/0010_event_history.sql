-- Every value an event took, with the position of the setEvent that wrote it, so a fork from
-- position P can start with each event as it stood before P (events keeps only the latest value,
-- and the setEvent checkpoint does not hold it). Written in the same statement as the event and
-- its checkpoint; deleted with the workflow. Events set outside a workflow's history (without a
-- checkpoint) have no position and no row here.

create table {{schema}}.event_history (
  workflow_id text not null,
  position    int not null check (position >= 0),
  key         text not null,
  value       text not null,
  primary key (workflow_id, position)
);
