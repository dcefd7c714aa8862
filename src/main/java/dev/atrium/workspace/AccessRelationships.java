package dev.atrium.workspace;

import dev.atrium.common.db.SessionSql;
import dev.atrium.common.security.Role;
import dev.atrium.common.time.Clock;
import io.quarkus.hibernate.reactive.panache.Panache;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;

/**
 * Writes a workspace's access relationships as Zanzibar tuples ({@code workspace:ws_…#owner@user:…},
 * {@code workspace:ws_…#organization@organization:org_…}). This writer keeps them in the local
 * {@code access_relationships} table inside the saga step's transaction; a SpiceDB or OpenFGA writer can replace it
 * with the same two operations (both idempotent: writing an existing tuple or deleting a missing one is a no-op).
 */
@ApplicationScoped
public class AccessRelationships {

    /**
     * Writes the workspace's relationships for its current owner, in the caller's transaction: one statement, which
     * reads the owner itself and answers a row when there is one ({@link SessionSql}); fails when the workspace has no
     * owner.
     */
    public Uni<Void> writeOwner(Workspace ws) {
        return Panache.getSession().chain(s -> SessionSql.update(s, """
                with owner as (
                    select user_id from workspace_members
                     where workspace_id = $1 and role = $2
                     limit 1),
                written as (
                    insert into access_relationships
                        (resource_type, resource_id, relation, subject_type, subject_id, workspace_id, created_at)
                    select 'workspace', $1, t.relation, t.subject_type, t.subject_id, $1, $4
                      from owner,
                           lateral (values ('organization', 'organization', cast($3 as text)),
                                           ('owner', 'user', owner.user_id)) as t(relation, subject_type, subject_id)
                    on conflict do nothing)
                select 1 from owner""", ws.id, Role.OWNER.wire(), ws.organizationId, SessionSql.at(Clock.now())))
                .flatMap(owners -> owners == 0
                        ? Uni.createFrom().failure(new IllegalStateException("the workspace has no owner"))
                        : Uni.createFrom().voidItem());
    }

    /** Deletes every tuple of the workspace in the caller's transaction. */
    public Uni<Integer> deleteAll(String workspaceId) {
        return Panache.getSession().chain(s -> s.createNativeQuery(
                "delete from access_relationships where workspace_id = :ws").setParameter("ws", workspaceId)
                .executeUpdate());
    }
}
