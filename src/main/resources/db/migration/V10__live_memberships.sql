-- The joined-workspaces limit counts a user's memberships of workspaces that are not deleted. Each membership now
-- carries whether its workspace is live, kept by the database (every release writing members or statuses keeps it
-- right), so the count reads the user's memberships alone, an index-only scan that stops at the limit, instead of
-- looking up every membership's workspace.
-- Otherwise an expand step: a column with a default that the release before never reads, and triggers that fill it.
alter table workspace_members add column workspace_live boolean not null default true;
update workspace_members m set workspace_live = false
  from workspaces w where w.id = m.workspace_id and w.status = 'deleted';

-- A new membership copies its workspace's creation time (V8) and liveness in one lookup.
-- contract: V8's trigger function is dropped, but only after the trigger that replaces it exists, in this same
-- transaction; no release calls the function itself, and every release's inserts still get workspace_created_at.
create function workspace_members_from_workspace() returns trigger language plpgsql as $$
begin
    select created_at, status <> 'deleted' into new.workspace_created_at, new.workspace_live
      from workspaces where id = new.workspace_id;
    return new;
end $$;
create trigger workspace_members_from_workspace before insert on workspace_members
    for each row execute function workspace_members_from_workspace();
drop trigger workspace_members_created_at on workspace_members;
drop function workspace_members_created_at();

-- A workspace deleted, or restored, changes the liveness of all its memberships.
create function workspaces_liveness_to_members() returns trigger language plpgsql as $$
begin
    update workspace_members set workspace_live = (new.status <> 'deleted') where workspace_id = new.id;
    return null;
end $$;
create trigger workspaces_liveness_to_members after update of status on workspaces
    for each row when ((old.status = 'deleted') is distinct from (new.status = 'deleted'))
    execute function workspaces_liveness_to_members();

create index workspace_members_live_user_idx on workspace_members (user_id) where workspace_live;
