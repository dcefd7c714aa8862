-- The joined-workspaces limit reads a count kept per user instead of walking the user's live memberships: the walk
-- costs what the limit is (up to the whole of a user's memberships in a cell that raises it), the count one row.
-- The count's row lock also takes the place of the advisory lock that serialised one user's joins: a membership
-- written locks its user's row until the commit, and the check locks it before it reads.
-- Expand only: a new table kept by triggers (every release writing members or statuses keeps it right), and the
-- check's function (V11) answering from it, with the same arguments and meaning for every release that calls it.

create table user_join_counts (
    user_id text primary key,
    live    integer not null
);

create function workspace_members_join_count() returns trigger language plpgsql as $$
begin
    if tg_op <> 'INSERT' and old.workspace_live then
        update user_join_counts set live = live - 1 where user_id = old.user_id;
    end if;
    if tg_op <> 'DELETE' and new.workspace_live then
        insert into user_join_counts as c (user_id, live) values (new.user_id, 1)
            on conflict (user_id) do update set live = c.live + 1;
    end if;
    return null;
end $$;
create trigger workspace_members_join_count after insert or delete on workspace_members
    for each row execute function workspace_members_join_count();
create trigger workspace_members_join_count_moved after update of user_id, workspace_live on workspace_members
    for each row when (old.user_id is distinct from new.user_id or old.workspace_live is distinct from new.workspace_live)
    execute function workspace_members_join_count();

-- A workspace deleted or restored changes the counts of all its members: their rows are locked in one order first,
-- so two such changes sharing members wait for each other instead of deadlocking.
create or replace function workspaces_liveness_to_members() returns trigger language plpgsql as $$
begin
    perform 1 from user_join_counts
      where user_id in (select user_id from workspace_members where workspace_id = new.id)
      order by user_id for update;
    update workspace_members set workspace_live = (new.status <> 'deleted') where workspace_id = new.id;
    return null;
end $$;

-- The counts of the memberships written before this migration; the triggers above already count the rest (they
-- exist before this reads, and creating them waited for every transaction writing members).
insert into user_join_counts (user_id, live)
select user_id, count(*) from workspace_members where workspace_live group by user_id;

-- Whether the user already has p_allowed live memberships, under the lock of their count's row (held until the
-- commit). The row is made first if the user has none, so that a first join is serialised too; the select that
-- locks it reads its newest version, whatever committed while it waited. PL/pgSQL (V11's was SQL) keeps the two
-- statements' plans for the session instead of planning them on every call.
create or replace function user_at_join_limit(p_user text, p_allowed integer) returns boolean
    language plpgsql volatile
as $$
declare
    n integer;
begin
    insert into user_join_counts (user_id, live) values (p_user, 0) on conflict (user_id) do nothing;
    select live into n from user_join_counts where user_id = p_user for update;
    return n >= p_allowed;
end $$;
