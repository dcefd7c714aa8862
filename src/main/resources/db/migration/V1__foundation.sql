-- Organizations are the parent tenant; each has a home cell.
create table organizations (
    id              text primary key,
    name            text        not null,
    slug            text        not null,
    personal        boolean     not null default false,
    personal_owner  text,
    home_region     text        not null,
    created_at      timestamptz not null,
    updated_at      timestamptz not null,
    created_by      jsonb       not null,
    updated_by      jsonb       not null,
    version         bigint      not null default 0,
    constraint organizations_slug_key unique (slug)
);
-- One personal organization per user, even under concurrent first requests.
create unique index organizations_personal_owner_key on organizations (personal_owner) where personal;

create table organization_members (
    organization_id text        not null references organizations (id) on delete cascade,
    user_id         text        not null,
    email           text,
    name            text,
    role            text        not null check (role in ('owner', 'admin', 'member')),
    created_at      timestamptz not null,
    updated_at      timestamptz not null,
    primary key (organization_id, user_id)
);
create index organization_members_user_idx on organization_members (user_id);

create table workspaces (
    id                   text primary key,
    organization_id      text        not null references organizations (id),
    name                 text        not null,
    slug                 text        not null,
    description          text,
    region               text        not null,
    tenancy_model        text        not null check (tenancy_model in ('shared', 'dedicated')),
    status               text        not null,
    status_before_delete text,
    archived_at          timestamptz,
    frozen_reason        text,
    frozen_at            timestamptz,
    frozen_by            text,
    billing_mode         text        not null check (billing_mode in ('single', 'assigned', 'pooled')),
    pooled_seat_limit    integer,
    plan                 text        not null check (plan in ('free', 'team', 'enterprise')),
    settings             jsonb       not null,
    metadata             jsonb       not null,
    provisioning_run_id  text,
    created_at           timestamptz not null,
    updated_at           timestamptz not null,
    created_by           jsonb       not null,
    updated_by           jsonb       not null,
    deleted_at           timestamptz,
    purge_at             timestamptz,
    version              bigint      not null default 0,
    -- The slug stays held until purge, so deleted workspaces keep their row and their slug.
    constraint workspaces_organization_slug_key unique (organization_id, slug)
);
create index workspaces_organization_created_idx on workspaces (organization_id, created_at desc, id desc);
create index workspaces_metadata_idx on workspaces using gin (metadata jsonb_path_ops);

create table workspace_members (
    id           text primary key,
    workspace_id text        not null references workspaces (id) on delete cascade,
    user_id      text        not null,
    email        text,
    name         text,
    role         text        not null check (role in ('owner', 'admin', 'member', 'viewer')),
    joined_at    timestamptz not null,
    invited_by   jsonb,
    constraint workspace_members_user_key unique (workspace_id, user_id)
);
-- Exactly one owner per workspace is a database fact, not only a service rule.
create unique index workspace_members_one_owner_key on workspace_members (workspace_id) where role = 'owner';
create index workspace_members_user_idx on workspace_members (user_id, workspace_id);

create table environments (
    id           text primary key,
    workspace_id text        not null references workspaces (id) on delete cascade,
    name         text        not null,
    status       text        not null,
    created_at   timestamptz not null,
    constraint environments_workspace_name_key unique (workspace_id, name)
);

create table provisioning_runs (
    id           text primary key,
    workspace_id text        not null references workspaces (id) on delete cascade,
    kind         text        not null check (kind in ('create', 'delete')),
    status       text        not null check (status in ('pending', 'running', 'succeeded', 'failed')),
    error        text,
    created_at   timestamptz not null,
    started_at   timestamptz,
    finished_at  timestamptz
);
create index provisioning_runs_workspace_idx on provisioning_runs (workspace_id);

create table provisioning_steps (
    run_id      text        not null references provisioning_runs (id) on delete cascade,
    position    integer     not null,
    name        text        not null,
    status      text        not null check (status in ('pending', 'running', 'succeeded', 'failed', 'skipped', 'compensated')),
    attempts    integer     not null default 0,
    started_at  timestamptz,
    finished_at timestamptz,
    last_error  text,
    primary key (run_id, position)
);

-- The append-only event log. txid is the writing transaction's id: the event feed serves only events of
-- transactions older than every running one, ordered by (txid, id), so late commits are never skipped.
create table events (
    id              text primary key,
    txid            xid8        not null default pg_current_xact_id(),
    type            text        not null,
    occurred_at     timestamptz not null,
    actor           jsonb       not null,
    actor_id        text        not null,
    organization_id text,
    workspace_id    text,
    resource_type   text        not null,
    resource_id     text        not null,
    before          jsonb,
    after           jsonb,
    request_id      text
);
create index events_workspace_idx on events (workspace_id, occurred_at desc, id desc);
create index events_feed_idx on events (txid, id);
create index events_workspace_actor_idx on events (workspace_id, actor_id);

-- Idempotency keys live in the same transaction as the change they guard.
create table idempotency_keys (
    principal       text        not null,
    method          text        not null,
    path            text        not null,
    idempotency_key text        not null,
    request_hash    text        not null,
    status          integer     not null,
    response_headers jsonb      not null,
    response_body   text,
    created_at      timestamptz not null,
    expires_at      timestamptz not null,
    primary key (principal, method, path, idempotency_key)
);
create index idempotency_keys_expiry_idx on idempotency_keys (expires_at);
