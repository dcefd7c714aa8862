-- pgbench reference of POST /v1/workspaces counted until the workspace is active: the simplest SQL a person would
-- write, one transaction inserting the workspace (active at once), its owner member and one event, by a random one
-- of the benchmark's users into one of that user's two organizations (as deploy/bench/seed.sql hands them out).
-- The schema's own triggers run as for the service (the member's workspace_created_at).
-- Variables (-D): org (the organization id prefix, org_<cell code><time part>), region, users, orgs.
\set u random(1, :users)
\set k random(0, 1)
\set o 10000000000000000 + 2 + (:u - 1 + :k * :users) % (:orgs - 1)
\set n random(1, 999999999999999)
begin;
insert into workspaces (id, organization_id, name, slug, region, tenancy_model, status, billing_mode, plan, settings,
                        metadata, created_at, updated_at, created_by, updated_by)
values ('ws_pgbench' || :n, :org::text || :o::text, 'pgbench ' || :n, 'pgbench-' || :n, :region, 'shared', 'active',
        'single', 'free', '{"cicd_enforced_default": false}', '{}', now(), now(),
        jsonb_build_object('id', 'bench-user-' || lpad(:u::text, 2, '0'), 'subject_type', 'USER'),
        jsonb_build_object('id', 'bench-user-' || lpad(:u::text, 2, '0'), 'subject_type', 'USER'));
insert into workspace_members (id, workspace_id, user_id, role, joined_at)
values ('mem_pgbench' || :n, 'ws_pgbench' || :n, 'bench-user-' || lpad(:u::text, 2, '0'), 'owner', now());
insert into events (id, type, occurred_at, actor, actor_id, organization_id, workspace_id, resource_type, resource_id,
                    after)
values ('evt_pgbench' || :n, 'workspace.created', now(),
        jsonb_build_object('id', 'bench-user-' || lpad(:u::text, 2, '0'), 'subject_type', 'USER'),
        'bench-user-' || lpad(:u::text, 2, '0'), :org::text || :o::text, 'ws_pgbench' || :n, 'workspace',
        'ws_pgbench' || :n, jsonb_build_object('id', 'ws_pgbench' || :n, 'name', 'pgbench ' || :n));
commit;
