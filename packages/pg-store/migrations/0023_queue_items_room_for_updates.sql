-- Queue items get room for their update (issue 11). A claim updates each item it takes (its start)
-- and a finish's sweep deletes it: an item lives for minutes at most. In pages filled to the
-- brim, as Postgres fills them by default, each update wrote the new version to another page,
-- which logged a row lock first and dirtied both pages (pg_waldump: one Heap/LOCK per item more
-- in a drain). Half of each page now stays free for updates; the table holds only live items,
-- so its size does not matter. It applies to pages filled from now on.
--
-- Rolling deploy: a storage parameter; no statement of any version sees it.
alter table {{schema}}.queue_items set (fillfactor = 50);
