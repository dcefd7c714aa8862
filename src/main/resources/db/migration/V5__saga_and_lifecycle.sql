-- The provisioning saga: runs are claimed with leases so that several instances never execute the same run, a
-- crashed worker's lease expires and the run is taken up again, and failed steps wait for next_attempt_at.
alter table provisioning_runs
    add column lease_owner     text,
    add column lease_until     timestamptz,
    add column next_attempt_at timestamptz,
    add column retries         integer not null default 0,
    add column updated_at      timestamptz;
update provisioning_runs set next_attempt_at = created_at, updated_at = coalesce(finished_at, started_at, created_at);
alter table provisioning_runs
    alter column next_attempt_at set not null,
    alter column updated_at set not null,
    drop constraint provisioning_runs_kind_check,
    add constraint provisioning_runs_kind_check check (kind in ('create', 'delete', 'restore')),
    drop constraint provisioning_runs_status_check,
    add constraint provisioning_runs_status_check
        check (status in ('pending', 'running', 'compensating', 'succeeded', 'failed'));
-- The worker's question: which unfinished runs are due? A partial index keeps it small whatever the history.
create index provisioning_runs_due_idx on provisioning_runs (next_attempt_at)
    where status in ('pending', 'running', 'compensating');

-- Each step's work is keyed: the key goes to external systems (the dataplane's Idempotency-Key), so a step redone
-- after a crash between "did it" and "recorded it" is recognised there and not done twice.
alter table provisioning_steps
    add column idempotency_key text;
update provisioning_steps set idempotency_key = run_id || ':' || name;
alter table provisioning_steps alter column idempotency_key set not null;

-- Access relationships in the shape of a Zanzibar tuple (resource#relation@subject), written by the saga's access
-- step. A SpiceDB or OpenFGA writer can replace the local table without changing the saga.
create table access_relationships (
    resource_type text        not null,
    resource_id   text        not null,
    relation      text        not null,
    subject_type  text        not null,
    subject_id    text        not null,
    workspace_id  text        not null references workspaces (id) on delete cascade,
    created_at    timestamptz not null,
    primary key (resource_type, resource_id, relation, subject_type, subject_id)
);
create index access_relationships_workspace_idx on access_relationships (workspace_id);

-- Lifecycle jobs: deleted workspaces due for purge, and pending invitations past their expiry.
create index workspaces_purge_idx on workspaces (purge_at) where status = 'deleted';
create index invitations_expiry_idx on invitations (expires_at) where status = 'pending';

-- Why a workspace's provisioning failed, shown on the workspace until a retry succeeds.
alter table workspaces add column failure_reason text;
