package dev.atrium.invitation;

import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;

/**
 * The invitation domain's list reads, one statement each, newest first ({@code created_at}, then id); one row more
 * than {@code limit} tells a next page exists. Run in the caller's session.
 */
@ApplicationScoped
public class InvitationQueries {

    /** The position after which a page starts. */
    public record After(Instant createdAt, String id) {
    }

    /**
     * A workspace's invitations, optionally in one status as clients see it: a pending invitation past its expiry
     * counts as expired.
     */
    public Uni<List<Invitation>> ofWorkspace(String workspaceId, String status, Instant now, After after, int limit) {
        StringBuilder where = new StringBuilder("workspaceId = :ws");
        Map<String, Object> params = new HashMap<>();
        params.put("ws", workspaceId);
        if (InvitationStatus.PENDING.is(status)) {
            where.append(" and status = 'pending' and expiresAt > :now");
            params.put("now", now);
        } else if (InvitationStatus.EXPIRED.is(status)) {
            where.append(" and (status = 'expired' or (status = 'pending' and expiresAt <= :now))");
            params.put("now", now);
        } else if (status != null) {
            where.append(" and status = :status");
            params.put("status", status);
        }
        return page(where, params, after, limit);
    }

    /** Open invitations for {@code email} (any case) to workspaces that are not being deleted. */
    public Uni<List<Invitation>> pendingFor(String email, Instant now, After after, int limit) {
        StringBuilder where = new StringBuilder("lower(email) = :email and status = 'pending' and expiresAt > :now"
                + " and workspaceId in (select w.id from Workspace w where w.status not in ('deleting', 'deleted'))");
        Map<String, Object> params = new HashMap<>();
        params.put("email", email.toLowerCase());
        params.put("now", now);
        return page(where, params, after, limit);
    }

    private static Uni<List<Invitation>> page(StringBuilder where, Map<String, Object> params, After after, int limit) {
        if (after != null) {
            where.append(" and (createdAt, id) < (:after, :afterId)");
            params.put("after", after.createdAt());
            params.put("afterId", after.id());
        }
        return Invitation.<Invitation>find(where + " order by createdAt desc, id desc", params).range(0, limit).list();
    }
}
