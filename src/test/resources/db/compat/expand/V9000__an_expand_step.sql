-- An expand step as the next release might ship it (used by SchemaCompatibilityIT, never by the application):
-- only additions the running code does not see, so the release before it keeps working on this schema.
alter table workspaces add column cost_center text;
create table workspace_labels (
    workspace_id text not null references workspaces (id) on delete cascade,
    label        text not null,
    primary key (workspace_id, label)
);
create index workspaces_cost_center_idx on workspaces (cost_center) where cost_center is not null;
