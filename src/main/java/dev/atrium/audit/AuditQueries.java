package dev.atrium.audit;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;

/** The audit log's list read, one statement; run in the caller's session. */
@ApplicationScoped
public class AuditQueries {

    /**
     * A page of a workspace's events, newest first ({@code occurred_at}, then id), filtered by type (exact, or a
     * prefix ending in {@code .*}), actor and earliest time, after {@code (afterAt, afterId)} when given; one row more
     * than {@code limit} tells a next page exists.
     */
    public Uni<List<Event>> page(String workspaceId, String type, String actorId, Instant since, Instant afterAt,
            String afterId, int limit) {
        StringBuilder q = new StringBuilder("workspaceId = ?1");
        List<Object> params = new ArrayList<>(List.of(workspaceId));
        if (type != null) {
            if (type.endsWith(".*")) {
                params.add(type.substring(0, type.length() - 1) + "%");
                q.append(" and type like ?").append(params.size());
            } else {
                params.add(type);
                q.append(" and type = ?").append(params.size());
            }
        }
        if (actorId != null) {
            params.add(actorId);
            q.append(" and actorId = ?").append(params.size());
        }
        if (since != null) {
            params.add(since);
            q.append(" and occurredAt >= ?").append(params.size());
        }
        if (afterAt != null) {
            // One row comparison, so that the index on (workspace_id, occurred_at desc, id desc) starts at the
            // cursor: the fiftieth page costs what the first does.
            params.add(afterAt);
            int i = params.size();
            params.add(afterId);
            q.append(" and (occurredAt, id) < (?").append(i).append(", ?").append(params.size()).append(")");
        }
        q.append(" order by occurredAt desc, id desc");
        return Event.<Event>find(q.toString(), params.toArray()).range(0, limit).list();
    }
}
