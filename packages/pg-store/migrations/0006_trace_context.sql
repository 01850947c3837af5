-- The trace context a workflow was created under (W3C traceparent/tracestate, or whatever an
-- observer injects), as a JSON object of text headers. Every run of the workflow, in whichever
-- process recovers it, continues that trace. Null when no observer injected any.

alter table {{schema}}.workflows
  add column trace_context text;
