-- pgbench script: the SQL that the service issues for one GET /v1/workspaces/{id} by the owner, statement for
-- statement as Hibernate Reactive sends it (run with -M prepared: the service's pool also keeps prepared
-- statements). The three statements run outside an explicit transaction, as in the service:
--   1. the workspace by id (Access.workspace)
--   2. the caller's membership (Access.roleIn)
--   3. the workspace's organization, for organization_name (WorkspaceService.get)
-- Variables (-D): cell, ts (cell code and time part of the seeded ids), user, workspaces, organizations.
\set n random(1, :workspaces)
\set ws 10000000000000000 + :n
\set org 10000000000000000 + ((:n - 1) % :organizations) + 1

select w1_0.id,w1_0.archived_at,w1_0.billing_mode,w1_0.created_at,w1_0.created_by,w1_0.deleted_at,
       w1_0.description,w1_0.failure_reason,w1_0.frozen_at,w1_0.frozen_by,w1_0.frozen_reason,w1_0.metadata,w1_0.name,
       w1_0.organization_id,w1_0.plan,w1_0.pooled_seat_limit,w1_0.provisioning_run_id,w1_0.purge_at,w1_0.region,
       w1_0.settings,w1_0.slug,w1_0.status,w1_0.status_before_delete,w1_0.tenancy_model,w1_0.updated_at,
       w1_0.updated_by,w1_0.version
from workspaces w1_0
where w1_0.id = 'ws_' || :cell::text || :ts::text || :ws::text;

select wm1_0.id,wm1_0.email,wm1_0.invited_by,wm1_0.joined_at,wm1_0.name,wm1_0.role,wm1_0.user_id,
       wm1_0.workspace_id
from workspace_members wm1_0
where wm1_0.workspace_id = 'ws_' || :cell::text || :ts::text || :ws::text and wm1_0.user_id = :user
offset 0 rows fetch first 1 rows only;

select o1_0.id,o1_0.created_at,o1_0.created_by,o1_0.home_region,o1_0.name,o1_0.personal,o1_0.personal_owner,
       o1_0.slug,o1_0.updated_at,o1_0.updated_by,o1_0.version
from organizations o1_0
where o1_0.id = 'org_' || :cell::text || :ts::text || :org::text;
