-- pgbench script: the SQL that the service issues for one POST /v1/workspaces {"name", "organization_id"} by an
-- owner of the organization, in the one transaction the request runs (Idempotency.run without a key), statement
-- for statement as Hibernate Reactive sends it (run with -M prepared, as the service's pool prepares statements):
--   1. the organization by id, 2. the caller's organization membership      (Access.organization)
--   3. the slug lookup                                                       (WorkspaceService.freeSlug)
--   4. the workspace, 5. its owner member                                    (WorkspaceService.insert)
--   6. the provisioning run, 7-10. its four pending steps                    (ProvisioningService.persist)
--   11. workspace.created, 12. member.added                                  (EventLog.append)
-- JSON values are sent as text and parsed by the server per statement, as the service's parameters are.
-- Not included: the provisioning saga the service runs after the commit (about six more short transactions: the
-- leased claim, one per step with its lease renewal, three environments, two access tuples, the workspace's
-- activation with one more event, and the run's end; plus the dataplane call when one is configured).
-- Variables (-D): cell, ts (cell code and time part of the seeded ids), region, user, actor (the creator as
-- the JSON the service stores), organizations.
\set o random(1, :organizations)
\set org 10000000000000000 + :o
\set ws random(10000000000000000, 99999999999999999)
\set mem random(10000000000000000, 99999999999999999)
\set run random(10000000000000000, 99999999999999999)
\set evt1 random(10000000000000000, 99999999999999999)
\set evt2 random(10000000000000000, 99999999999999999)

begin;

select o1_0.id,o1_0.created_at,o1_0.created_by,o1_0.home_region,o1_0.name,o1_0.personal,o1_0.personal_owner,
       o1_0.slug,o1_0.updated_at,o1_0.updated_by,o1_0.version
from organizations o1_0
where o1_0.id = 'org_' || :cell::text || :ts::text || :org::text;

select om1_0.organization_id,om1_0.user_id,om1_0.created_at,om1_0.email,om1_0.name,om1_0.role,om1_0.updated_at
from organization_members om1_0
where (om1_0.organization_id,om1_0.user_id) in (('org_' || :cell::text || :ts::text || :org::text, :user));

select w1_0.id,w1_0.archived_at,w1_0.billing_mode,w1_0.created_at,w1_0.created_by,w1_0.deleted_at,
       w1_0.description,w1_0.failure_reason,w1_0.frozen_at,w1_0.frozen_by,w1_0.frozen_reason,w1_0.metadata,w1_0.name,
       w1_0.organization_id,w1_0.plan,w1_0.pooled_seat_limit,w1_0.provisioning_run_id,w1_0.purge_at,w1_0.region,
       w1_0.settings,w1_0.slug,w1_0.status,w1_0.status_before_delete,w1_0.tenancy_model,w1_0.updated_at,
       w1_0.updated_by,w1_0.version
from workspaces w1_0
where w1_0.organization_id = 'org_' || :cell::text || :ts::text || :org::text
  and (w1_0.slug = 'pgbench-' || :ws::text or w1_0.slug like 'pgbench-' || :ws::text || '-%' escape '');

insert into workspaces (archived_at,billing_mode,created_at,created_by,deleted_at,description,failure_reason,
                        frozen_at,frozen_by,frozen_reason,metadata,name,organization_id,plan,pooled_seat_limit,
                        provisioning_run_id,purge_at,region,settings,slug,status,status_before_delete,tenancy_model,
                        updated_at,updated_by,version,id)
values (null, 'single', now(), (:actor::text)::jsonb, null, null, null, null, null,
        null, ('{}'::text)::jsonb, 'pgbench ' || :ws::text, 'org_' || :cell::text || :ts::text || :org::text,
        'free', null, 'run_' || :cell::text || :ts::text || :run::text,
        null, :region, ('{"cicd_enforced_default": false}'::text)::jsonb, 'pgbench-' || :ws::text, 'provisioning',
        null, 'shared', now(),
        (:actor::text)::jsonb, 0, 'ws_' || :cell::text || :ts::text || :ws::text);

insert into workspace_members (email,invited_by,joined_at,name,role,user_id,workspace_id,id)
values (:user::text || '@example.com', null, now(), 'Bench User', 'owner', :user,
        'ws_' || :cell::text || :ts::text || :ws::text, 'mem_' || :cell::text || :ts::text || :mem::text);

insert into provisioning_runs (created_at,error,finished_at,kind,lease_owner,lease_until,next_attempt_at,retries,
                               started_at,status,updated_at,workspace_id,id)
values (now(), null, null, 'create', null, null, now(), 0, null, 'pending', now(),
        'ws_' || :cell::text || :ts::text || :ws::text, 'run_' || :cell::text || :ts::text || :run::text);

insert into provisioning_steps (attempts,finished_at,idempotency_key,last_error,name,started_at,status,position,
                                run_id)
values (0, null, 'run_' || :cell::text || :ts::text || :run::text || ':' || 'environments', null, 'environments', null,
        'pending', 1, 'run_' || :cell::text || :ts::text || :run::text);

insert into provisioning_steps (attempts,finished_at,idempotency_key,last_error,name,started_at,status,position,
                                run_id)
values (0, null, 'run_' || :cell::text || :ts::text || :run::text || ':' || 'dataplane', null, 'dataplane', null,
        'pending', 2, 'run_' || :cell::text || :ts::text || :run::text);

insert into provisioning_steps (attempts,finished_at,idempotency_key,last_error,name,started_at,status,position,
                                run_id)
values (0, null, 'run_' || :cell::text || :ts::text || :run::text || ':' || 'access', null, 'access', null,
        'pending', 3, 'run_' || :cell::text || :ts::text || :run::text);

insert into provisioning_steps (attempts,finished_at,idempotency_key,last_error,name,started_at,status,position,
                                run_id)
values (0, null, 'run_' || :cell::text || :ts::text || :run::text || ':' || 'activate', null, 'activate', null,
        'pending', 4, 'run_' || :cell::text || :ts::text || :run::text);

insert into events (actor,actor_id,after,before,occurred_at,organization_id,request_id,resource_id,resource_type,
                    type,workspace_id,id)
values ((:actor::text)::jsonb, :user,
        ('{"id": "ws_' || :cell::text || :ts::text || :ws::text || '", "name": "pgbench ' || :ws::text
         || '", "plan": "free", "slug": "pgbench-' || :ws::text || '", "object": "workspace", "region": "'
         || :region::text || '", "status": "provisioning", "version": 0, "archived": false, "metadata": {}, '
         || '"purge_at": null, "settings": {"cicd_enforced_default": false}, "frozen_at": null, "frozen_by": null, '
         || '"created_at": "2025-10-29T00:40:06.000000Z", "created_by": ' || :actor::text || ', "deleted_at": null, '
         || '"updated_at": "2025-10-29T00:40:06.000000Z", "updated_by": ' || :actor::text || ', '
         || '"archived_at": null, "description": null, "billing_mode": "single", "frozen_reason": null, '
         || '"tenancy_model": "shared", "organization_id": "org_' || :cell::text || :ts::text || :org::text
         || '", "organization_name": "Bench organization", "pooled_seat_limit": null, "provisioning_run_id": "run_'
         || :cell::text || :ts::text || :run::text || '"}')::jsonb,
        null, now(), 'org_' || :cell::text || :ts::text || :org::text, 'req_pgbench' || :evt1::text,
        'ws_' || :cell::text || :ts::text || :ws::text, 'workspace', 'workspace.created',
        'ws_' || :cell::text || :ts::text || :ws::text, 'evt_' || :cell::text || :ts::text || :evt1::text);

insert into events (actor,actor_id,after,before,occurred_at,organization_id,request_id,resource_id,resource_type,
                    type,workspace_id,id)
values ((:actor::text)::jsonb, :user,
        ('{"role": "owner", "user_id": "' || :user::text || '"}')::jsonb,
        null, now(), 'org_' || :cell::text || :ts::text || :org::text, 'req_pgbench' || :evt1::text,
        'mem_' || :cell::text || :ts::text || :mem::text, 'member', 'member.added',
        'ws_' || :cell::text || :ts::text || :ws::text, 'evt_' || :cell::text || :ts::text || :evt2::text);

commit;
