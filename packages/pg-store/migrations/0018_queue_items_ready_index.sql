-- The claim finds its items through an index again, however many items wait for a later time
-- (issue 11). Since migration 0016 no index held "waiting and available now": the claim's check
-- for claimable items left (`more`) read every waiting item of the queue to find them (a
-- sequential scan, 22 ms per claim beside 50,000 delayed items), and its picking walked the
-- waiting index past every delayed item ahead of the first available one in priority order.
--
-- The waiting index now holds only the items that were available when enqueued (available_at <=
-- enqueued_at: due from the start, most items); delayed ones (a delay, a debounce, a start time
-- set later, a resume) are in queue_items_delayed_idx alone (0016), which the claim reads from
-- the oldest due time up. A waiting item is in exactly one of the two: an enqueue writes no more
-- index entries than before, a delayed one one fewer. The claim reads the due delayed items it
-- can see and the head of the waiting index, and takes them in priority, then FIFO, order.
--
-- An engine before this version claims with the old index gone (a rolling deploy): its claims
-- stay correct and read the queue's waiting items without it until it is replaced.

drop index {{schema}}.queue_items_waiting_idx;

create index queue_items_ready_idx on {{schema}}.queue_items
  (queue_name, partition_key, priority, seq)
  where started_at is null and available_at <= enqueued_at;
