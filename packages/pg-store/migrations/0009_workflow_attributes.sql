-- Workflow attributes: a small JSON object given at start or enqueue (or set later) to find runs
-- by — every workflow of a tenant, the runs for one order. Unlike serialized values, these are
-- jsonb: they are searched, not replayed, and key order does not matter to containment.

alter table {{schema}}.workflows
  add column attributes jsonb;

-- listWorkflows({ attributes }) is `attributes @> $filter`: jsonb_path_ops indexes exactly that
-- operator, smaller and faster than the default opclass. Rows without attributes stay out.
create index workflows_attributes_idx on {{schema}}.workflows
  using gin (attributes jsonb_path_ops) where attributes is not null;
