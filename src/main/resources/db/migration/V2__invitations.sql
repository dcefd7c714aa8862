-- Invitations to a workspace. Only a SHA-256 of the token is kept; the token itself is shown once.
-- 'expired' is stored only once an expired pending invitation is superseded; until then it is computed from
-- expires_at, so nothing has to sweep the table for an invitation to stop counting.
create table invitations (
    id           text primary key,
    workspace_id text        not null references workspaces (id) on delete cascade,
    email        text        not null,
    role         text        not null check (role in ('admin', 'member', 'viewer')),
    status       text        not null check (status in ('pending', 'accepted', 'revoked', 'expired', 'declined')),
    token_hash   text        not null,
    ttl_seconds  integer     not null,
    expires_at   timestamptz not null,
    invited_by   jsonb       not null,
    inviter_id   text        not null,
    created_at   timestamptz not null,
    updated_at   timestamptz not null,
    responded_at timestamptz,
    member_id    text,
    constraint invitations_token_hash_key unique (token_hash)
);
-- One open invitation per email and workspace, whatever the spelling's case.
create unique index invitations_pending_email_key on invitations (workspace_id, lower(email)) where status = 'pending';
-- Lists (newest first) and the hourly invite budget, which counts rows created in the last hour.
create index invitations_workspace_created_idx on invitations (workspace_id, created_at desc, id desc);
-- Pending invitations for the caller's email across the cell's workspaces.
create index invitations_email_idx on invitations (lower(email), created_at desc, id desc) where status = 'pending';
