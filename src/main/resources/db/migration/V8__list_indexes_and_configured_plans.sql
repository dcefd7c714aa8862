-- Lists cost what a page costs, whatever the size of the cell.
-- Every workspace, newest first (services with read scope, the benchmark's service list).
create index workspaces_created_idx on workspaces (created_at desc, id desc);

-- A user's workspaces, newest first, read from the user's memberships alone: each membership carries its
-- workspace's creation time (immutable), set by the database so every release writing members keeps it right.
alter table workspace_members add column workspace_created_at timestamptz;
update workspace_members m set workspace_created_at = w.created_at from workspaces w where w.id = m.workspace_id;
create function workspace_members_created_at() returns trigger language plpgsql as $$
begin
    select created_at into new.workspace_created_at from workspaces where id = new.workspace_id;
    return new;
end $$;
create trigger workspace_members_created_at before insert on workspace_members
    for each row execute function workspace_members_created_at();
create index workspace_members_user_created_idx
    on workspace_members (user_id, workspace_created_at desc, workspace_id desc);

-- Plans are configuration (atrium.plans.*), not a list in the schema.
-- contract: loosens only; every release validates the plan against its configuration before writing it.
alter table workspaces drop constraint workspaces_plan_check;
