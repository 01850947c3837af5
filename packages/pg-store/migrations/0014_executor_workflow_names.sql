-- What each executor runs: the workflow names of its latest heartbeat, so a client's start by name
-- can fail at once when no recent executor runs that name (decision 0018). Null: the executor
-- advertised none (an engine of a Cairn version from before this column), so it may run anything.

alter table {{schema}}.executors add column workflow_names text[];
