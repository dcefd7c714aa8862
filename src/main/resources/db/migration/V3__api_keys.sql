-- API keys: bound to one workspace; only an HMAC of the secret is kept. A rotated key keeps its previous hash
-- until the grace period ends. Revoked keys keep their row for the audit trail.
create table api_keys (
    id                  text primary key,
    workspace_id        text        not null references workspaces (id) on delete cascade,
    name                text        not null,
    prefix              text        not null,
    scopes              text        not null, -- space-separated key scopes, sorted
    secret_hash         bytea       not null,
    previous_secret_hash bytea,
    previous_expires_at timestamptz,
    creator_user_id     text        not null,
    created_at          timestamptz not null,
    created_by          jsonb       not null,
    updated_at          timestamptz not null,
    last_used_at        timestamptz,
    expires_at          timestamptz,
    revoked_at          timestamptz,
    version             bigint      not null default 0
);
create index api_keys_workspace_created_idx on api_keys (workspace_id, created_at desc, id desc);
