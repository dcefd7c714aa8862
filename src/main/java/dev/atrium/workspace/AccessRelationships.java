package dev.atrium.workspace;

import java.util.List;

import dev.atrium.common.time.Clock;
import dev.atrium.member.Memberships;
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

    private final Memberships memberships;

    public AccessRelationships(Memberships memberships) {
        this.memberships = memberships;
    }

    public record Tuple(String resourceType, String resourceId, String relation, String subjectType,
            String subjectId) {
    }

    /** The relationships provisioning writes for a workspace whose owner is {@code ownerUserId}. */
    public static List<Tuple> forWorkspace(Workspace ws, String ownerUserId) {
        return List.of(
                new Tuple("workspace", ws.id, "organization", "organization", ws.organizationId),
                new Tuple("workspace", ws.id, "owner", "user", ownerUserId));
    }

    /** Writes the workspace's relationships for its current owner, in the caller's transaction. */
    public Uni<Void> writeOwner(Workspace ws) {
        return memberships.owner(ws.id).flatMap(owner -> owner == null
                ? Uni.createFrom().failure(new IllegalStateException("the workspace has no owner"))
                : write(ws.id, forWorkspace(ws, owner.userId)));
    }

    /** Writes the tuples in the caller's transaction, in one statement; tuples already present are left as they are. */
    public Uni<Void> write(String workspaceId, List<Tuple> tuples) {
        return Panache.getSession().chain(s -> s.createNativeQuery("""
                insert into access_relationships
                    (resource_type, resource_id, relation, subject_type, subject_id, workspace_id, created_at)
                select rt, rid, rel, st, sid, :ws, :now
                  from unnest(cast(:rt as text[]), cast(:rid as text[]), cast(:rel as text[]), cast(:st as text[]),
                              cast(:sid as text[])) as t(rt, rid, rel, st, sid)
                on conflict do nothing""")
                .setParameter("rt", tuples.stream().map(Tuple::resourceType).toArray(String[]::new))
                .setParameter("rid", tuples.stream().map(Tuple::resourceId).toArray(String[]::new))
                .setParameter("rel", tuples.stream().map(Tuple::relation).toArray(String[]::new))
                .setParameter("st", tuples.stream().map(Tuple::subjectType).toArray(String[]::new))
                .setParameter("sid", tuples.stream().map(Tuple::subjectId).toArray(String[]::new))
                .setParameter("ws", workspaceId).setParameter("now", Clock.now()).executeUpdate()).replaceWithVoid();
    }

    /** Deletes every tuple of the workspace in the caller's transaction. */
    public Uni<Integer> deleteAll(String workspaceId) {
        return Panache.getSession().chain(s -> s.createNativeQuery(
                "delete from access_relationships where workspace_id = :ws").setParameter("ws", workspaceId)
                .executeUpdate());
    }
}
