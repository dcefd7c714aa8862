-- Seeds benchmark workspaces :from..:to straight into the schema (run by deploy/bench/run.sh; the schema as the
-- migrations leave it). With :base on, first the organizations and the users:
--   organizations 1..:orgs; organization 1 holds every odd-numbered workspace (half the cell: the organization list's
--     pages), the others share the even-numbered ones round-robin;
--   :heavy_user owns every organization and every seeded workspace (the warm GET by id, and the user list whose
--     length grows with the cell), so it is seeded past the joined-workspaces cap;
--   :users users bench-user-01.. each own two organizations (where their creates go) and hold an admin membership
--     in every :users-th workspace of the base cell (1..:to): the warm list and GET /v1/me.
-- Each workspace gets one workspace.created event (when :events is on); the workspace numbered 1 gets events
-- :audit_from..:audit_to on top (its audit log).
--
-- Ids have the service's format, <prefix>_<cell code:4><time:9><17 base62 characters>: the cell code and the time
-- part come from a workspace created through the API, the last 17 characters are digits (10^16 + n, and 2*10^16 + n
-- and 3*10^16 + n for the users' memberships and the audit events), so pgbench and the scripts name the same rows
-- with arithmetic. Workspace n was created at 2025-01-01 + n seconds, its events alike.
--
-- Written with session_replication_role = replica (no triggers, no foreign-key checks) for speed: the column the
-- V8 trigger fills (workspace_members.workspace_created_at) is filled here, and the checks at the end refuse a seed
-- whose rows the triggers and foreign keys would not have accepted as they are.
--
-- psql variables: cell, ts, region, orgs, users, from, to, base (true/false), events (true/false), audit_from,
-- audit_to (audit_to < audit_from: none), heavy_user, heavy_email, heavy_name.
\set ON_ERROR_STOP on

begin;
set local session_replication_role = replica;

create temporary table bench_seed on commit drop as
select jsonb_build_object('id', :'heavy_user', 'subject_type', 'USER', 'name', :'heavy_name', 'email', :'heavy_email')
           as actor,
       'org_' || :'cell' || :'ts' as org, 'ws_' || :'cell' || :'ts' as ws, 'mem_' || :'cell' || :'ts' as mem,
       'evt_' || :'cell' || :'ts' as evt, timestamptz '2025-01-01 00:00:00+00' as epoch;

\if :base
insert into organizations (id, name, slug, personal, personal_owner, home_region, created_at, updated_at,
                           created_by, updated_by, version)
select s.org || (10000000000000000 + o)::text, 'Bench organization ' || o, 'bench-organization-' || o, false, null,
       :'region', s.epoch, s.epoch, s.actor, s.actor, 0
from generate_series(1, :orgs) o, bench_seed s;

insert into organization_members (organization_id, user_id, email, name, role, created_at, updated_at)
select s.org || (10000000000000000 + o)::text, :'heavy_user', :'heavy_email', :'heavy_name', 'owner', s.epoch, s.epoch
from generate_series(1, :orgs) o, bench_seed s;

insert into organization_members (organization_id, user_id, email, name, role, created_at, updated_at)
select distinct s.org || (10000000000000000 + 2 + (u - 1 + k * :users) % (:orgs - 1))::text,
       'bench-user-' || lpad(u::text, 2, '0'), 'bench-user-' || lpad(u::text, 2, '0') || '@example.com',
       'Bench User ' || u, 'owner', s.epoch, s.epoch
from generate_series(1, :users) u, generate_series(0, 1) k, bench_seed s;
\endif

insert into workspaces (id, organization_id, name, slug, description, region, tenancy_model, status,
                        billing_mode, pooled_seat_limit, plan, settings, metadata, provisioning_run_id,
                        created_at, updated_at, created_by, updated_by, version)
select s.ws || (10000000000000000 + w)::text,
       s.org || (10000000000000000 + case when w % 2 = 1 then 1 else 2 + (w / 2) % (:orgs - 1) end)::text,
       'Bench workspace ' || w, 'bench-workspace-' || w, null, :'region', 'shared', 'active',
       'single', null, 'free', '{"cicd_enforced_default": false}'::jsonb, '{}'::jsonb, null,
       s.epoch + w * interval '1 second', s.epoch + w * interval '1 second', s.actor, s.actor, 0
from generate_series(:from, :to) w, bench_seed s;

insert into workspace_members (id, workspace_id, user_id, email, name, role, joined_at, invited_by,
                               workspace_created_at)
select s.mem || (10000000000000000 + w)::text, s.ws || (10000000000000000 + w)::text,
       :'heavy_user', :'heavy_email', :'heavy_name', 'owner', s.epoch + w * interval '1 second', null,
       s.epoch + w * interval '1 second'
from generate_series(:from, :to) w, bench_seed s;

\if :base
insert into workspace_members (id, workspace_id, user_id, email, name, role, joined_at, invited_by,
                               workspace_created_at)
select s.mem || (20000000000000000 + w)::text, s.ws || (10000000000000000 + w)::text,
       'bench-user-' || lpad((1 + (w - 1) % :users)::text, 2, '0'),
       'bench-user-' || lpad((1 + (w - 1) % :users)::text, 2, '0') || '@example.com',
       'Bench User ' || (1 + (w - 1) % :users), 'admin', s.epoch + w * interval '1 second', null,
       s.epoch + w * interval '1 second'
from generate_series(:from, :to) w, bench_seed s;
\endif

\if :events
insert into events (id, type, occurred_at, actor, actor_id, organization_id, workspace_id, resource_type, resource_id,
                    before, after, request_id)
select s.evt || (10000000000000000 + w)::text, 'workspace.created', s.epoch + w * interval '1 second', s.actor,
       :'heavy_user',
       s.org || (10000000000000000 + case when w % 2 = 1 then 1 else 2 + (w / 2) % (:orgs - 1) end)::text,
       s.ws || (10000000000000000 + w)::text, 'workspace', s.ws || (10000000000000000 + w)::text, null,
       jsonb_build_object('id', s.ws || (10000000000000000 + w)::text, 'name', 'Bench workspace ' || w,
                          'status', 'active'),
       null
from generate_series(:from, :to) w, bench_seed s;
\endif

insert into events (id, type, occurred_at, actor, actor_id, organization_id, workspace_id, resource_type, resource_id,
                    before, after, request_id)
select s.evt || (30000000000000000 + n)::text, 'workspace.updated', s.epoch + interval '1 second' + n * interval '1 ms',
       s.actor, :'heavy_user', s.org || (10000000000000000 + 1)::text, s.ws || (10000000000000000 + 1)::text,
       'workspace', s.ws || (10000000000000000 + 1)::text, jsonb_build_object('description', 'before ' || n),
       jsonb_build_object('description', 'after ' || n), null
from generate_series(:audit_from, :audit_to) n, bench_seed s;

-- What the foreign keys and the V8 trigger would have refused or filled differently.
do $$
begin
    if exists (select 1 from workspace_members m left join workspaces w on w.id = m.workspace_id
               where w.id is null or m.workspace_created_at is distinct from w.created_at) then
        raise exception 'seeded memberships do not match their workspaces';
    end if;
    if exists (select 1 from workspaces w left join organizations o on o.id = w.organization_id where o.id is null) then
        raise exception 'seeded workspaces name a missing organization';
    end if;
end $$;

commit;

analyze organizations;
analyze organization_members;
analyze workspaces;
analyze workspace_members;
analyze events;
