-- Whether a user already has p_allowed live memberships, asked under the user's lock (one statement where it was
-- two). The lock serialises the joins of one user until their transactions end; the question that follows is a query
-- of its own in a volatile function, so its snapshot is taken after the lock was granted and it sees every join
-- committed while this one waited. Asked in the same statement as the lock, it would count from the snapshot taken
-- before the wait, and two joins at the limit could both pass. Expand only: the release before never calls it.
create function user_at_join_limit(p_user text, p_allowed integer) returns boolean
    language sql volatile
as $$
    select pg_advisory_xact_lock(hashtextextended(p_user, 7));
    select exists (select 1 from workspace_members
                    where user_id = p_user and workspace_live offset p_allowed - 1 limit 1);
$$;
