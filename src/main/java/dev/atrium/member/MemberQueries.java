package dev.atrium.member;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;

/** The member domain's list reads, one statement each; run in the caller's session. */
@ApplicationScoped
public class MemberQueries {

    /**
     * A page of a workspace's members, newest first ({@code joined_at}, then id), optionally of one role, after the
     * position {@code (afterJoinedAt, afterId)} when given; one row more than {@code limit} tells a next page exists.
     */
    public Uni<List<WorkspaceMember>> page(String workspaceId, String role, Instant afterJoinedAt, String afterId,
            int limit) {
        List<Object> params = new ArrayList<>(List.of(workspaceId));
        StringBuilder q = new StringBuilder("workspaceId = ?1");
        if (role != null) {
            params.add(role);
            q.append(" and role = ?").append(params.size());
        }
        if (afterJoinedAt != null) {
            params.add(afterJoinedAt);
            int at = params.size();
            params.add(afterId);
            q.append(" and (joinedAt, id) < (?").append(at).append(", ?").append(params.size()).append(")");
        }
        q.append(" order by joinedAt desc, id desc");
        return WorkspaceMember.<WorkspaceMember>find(q.toString(), params.toArray()).range(0, limit).list();
    }
}
