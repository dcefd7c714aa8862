-- The W3C traceparent of the request that created (or last retried) a provisioning run: its steps run later, on any
-- instance, in spans of that trace, so one trace follows a create from the caller to the dataplane.
-- Expand only: a nullable column the release before never reads.
alter table provisioning_runs add column traceparent text;
