-- Seeds the benchmark data set straight into the schema of V1__foundation.sql: :orgs organizations and
-- :workspaces workspaces spread over them round-robin, with the benchmark user as owner of every one.
--
-- Ids have the service's format, <prefix>_<cell code:4><time:9><17 base62 characters>: the cell code and the
-- time part come from a workspace created through the API, the last 17 characters are 10^16 + n, so
-- get_workspace.sql and create_workspace.sql can name the same rows with pgbench arithmetic.
--
-- psql variables: cell, ts, region, orgs, workspaces, user_id, user_email, user_name.
\set ON_ERROR_STOP on

begin;

create temporary table bench_actor on commit drop as
select jsonb_build_object('id', :'user_id', 'subject_type', 'USER', 'name', :'user_name', 'email', :'user_email')
       as actor;

insert into organizations (id, name, slug, personal, personal_owner, home_region, created_at, updated_at,
                           created_by, updated_by, version)
select 'org_' || :'cell' || :'ts' || (10000000000000000 + o)::text,
       'Bench organization ' || o, 'bench-organization-' || o, false, null, :'region',
       now(), now(), a.actor, a.actor, 0
from generate_series(1, :orgs) o, bench_actor a;

insert into organization_members (organization_id, user_id, email, name, role, created_at, updated_at)
select 'org_' || :'cell' || :'ts' || (10000000000000000 + o)::text, :'user_id', :'user_email', :'user_name',
       'owner', now(), now()
from generate_series(1, :orgs) o;

insert into workspaces (id, organization_id, name, slug, description, region, tenancy_model, status,
                        billing_mode, pooled_seat_limit, plan, settings, metadata, provisioning_run_id,
                        created_at, updated_at, created_by, updated_by, version)
select 'ws_' || :'cell' || :'ts' || (10000000000000000 + w)::text,
       'org_' || :'cell' || :'ts' || (10000000000000000 + ((w - 1) % :orgs) + 1)::text,
       'Bench workspace ' || w, 'bench-workspace-' || w, null, :'region', 'shared', 'active',
       'single', null, 'free', '{"cicd_enforced_default": false}'::jsonb, '{}'::jsonb, null,
       now(), now(), a.actor, a.actor, 0
from generate_series(1, :workspaces) w, bench_actor a;

insert into workspace_members (id, workspace_id, user_id, email, name, role, joined_at, invited_by)
select 'mem_' || :'cell' || :'ts' || (10000000000000000 + w)::text,
       'ws_' || :'cell' || :'ts' || (10000000000000000 + w)::text,
       :'user_id', :'user_email', :'user_name', 'owner', now(), null
from generate_series(1, :workspaces) w;

commit;

analyze organizations;
analyze organization_members;
analyze workspaces;
analyze workspace_members;
