package dev.atrium.audit;

import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;

import dev.atrium.audit.dto.EventView;
import dev.atrium.common.paging.Page;
import dev.atrium.common.paging.Paging;
import dev.atrium.common.problem.ApiException;
import dev.atrium.access.Access;
import dev.atrium.common.security.Caller;
import dev.atrium.access.Permission;
import io.quarkus.hibernate.reactive.panache.common.WithSession;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;

/** Reads a workspace's slice of the event log, newest first. */
@ApplicationScoped
public class AuditService {

    private final Access access;

    public AuditService(Access access) {
        this.access = access;
    }

    public static EventView view(Event e) {
        return new EventView("event", e.id, e.type, e.occurredAt, e.actor, e.organizationId, e.workspaceId,
                new EventView.Resource(e.resourceType, e.resourceId), e.before, e.after, e.requestId);
    }

    @WithSession
    public Uni<Page<EventView>> audit(Caller caller, String workspaceId, String type, String actorId, String since, int limit,
            String cursor) {
        Instant sinceAt = null;
        if (since != null) {
            try {
                sinceAt = Instant.parse(since);
            } catch (DateTimeParseException e) {
                throw ApiException.validation("since", "an RFC 3339 timestamp");
            }
        }
        if (type != null && (type.isEmpty() || type.length() > 100)) {
            throw ApiException.validation("type", "an event type, or a prefix ending in .*");
        }
        Instant since0 = sinceAt;
        return access.workspace(caller, workspaceId, Permission.AUDIT_READ).flatMap(g -> {
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
            if (since0 != null) {
                params.add(since0);
                q.append(" and occurredAt >= ?").append(params.size());
            }
            if (cursor != null) {
                List<String> after = Paging.decode(cursor, "audit:" + workspaceId, 2);
                params.add(Paging.instant(after.get(0)));
                int i = params.size();
                params.add(after.get(1));
                q.append(" and (occurredAt < ?").append(i).append(" or (occurredAt = ?").append(i)
                        .append(" and id < ?").append(params.size()).append("))");
            }
            q.append(" order by occurredAt desc, id desc");
            // range() is inclusive: limit + 1 rows, the last only telling whether a next page exists.
            return Event.<Event>find(q.toString(), params.toArray()).range(0, limit).list()
                    .map(rows -> Page.of(rows.stream().map(AuditService::view).toList(), limit,
                            last -> Paging.encode("audit:" + workspaceId, last.occurredAt().toString(), last.id())));
        });
    }
}
