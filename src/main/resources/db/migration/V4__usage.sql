-- API calls per workspace and UTC day. Requests are counted in memory and added here in batches, so a busy
-- workspace costs one upsert per flush, not one write per request.
create table workspace_usage (
    workspace_id text   not null references workspaces (id) on delete cascade,
    day          date   not null,
    api_calls    bigint not null check (api_calls >= 0),
    primary key (workspace_id, day)
);
