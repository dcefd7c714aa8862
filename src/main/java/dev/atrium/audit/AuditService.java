package dev.atrium.audit;

import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.List;

import dev.atrium.access.Access;
import dev.atrium.access.Permission;
import dev.atrium.audit.dto.EventView;
import dev.atrium.common.paging.Page;
import dev.atrium.common.paging.Paging;
import dev.atrium.common.problem.ApiException;
import dev.atrium.common.security.Caller;
import io.quarkus.hibernate.reactive.panache.common.WithSession;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;

/** Reads a workspace's slice of the event log, newest first. */
@ApplicationScoped
public class AuditService {

    private final Access access;

    private final AuditQueries queries;

    public AuditService(Access access, AuditQueries queries) {
        this.queries = queries;
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
        List<String> after = cursor == null ? null : Paging.decode(cursor, "audit:" + workspaceId, 2);
        return access.workspace(caller, workspaceId, Permission.AUDIT_READ)
                .chain(() -> queries.page(workspaceId, type, actorId, since0,
                        after == null ? null : Paging.instant(after.get(0)), after == null ? null : after.get(1), limit))
                .map(rows -> Page.of(rows.stream().map(AuditService::view).toList(), limit,
                        last -> Paging.encode("audit:" + workspaceId, last.occurredAt().toString(), last.id())));
    }
}
