package dev.atrium.workspace;

import java.util.function.Function;
import java.util.function.Supplier;

import dev.atrium.audit.EventLog;
import dev.atrium.common.db.Locks;
import dev.atrium.common.security.Actor;
import dev.atrium.common.time.Clock;
import dev.atrium.common.web.ETags;
import dev.atrium.common.web.Versioned;
import dev.atrium.organization.Organization;
import dev.atrium.workspace.dto.WorkspaceView;
import io.quarkus.hibernate.reactive.panache.Panache;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;

/**
 * The one shape of a workspace change: take the row lock, check {@code If-Match} against the current
 * representation, apply the change, and when anything changed stamp who and when, flush (so the version is bumped)
 * and append one event carrying the views before and after, all in the caller's transaction. Used by the API's
 * writes, the saga's transitions, retries, delete and restore alike.
 */
@ApplicationScoped
public class WorkspaceChanges {

    private final EventLog events;

    public WorkspaceChanges(EventLog events) {
        this.events = events;
    }

    /** The workspace after a change, with what its view and ETag need. */
    public record Changed(Workspace workspace, Organization organization) {
        public WorkspaceView view() {
            return WorkspaceMapper.view(workspace, organization.name);
        }

        public String etag() {
            return WorkspaceService.etag(workspace, organization);
        }

        public Versioned<WorkspaceView> versioned() {
            return new Versioned<>(view(), etag());
        }
    }

    public Uni<Changed> apply(Workspace ws, Actor actor, String requestId, String eventType,
            Function<Organization, Uni<Void>> change) {
        return apply(ws, actor, requestId, eventType, null, change);
    }

    /**
     * A change to a workspace its transaction persists next, made before the row is first written, so that the row
     * is written once, as changed, instead of inserted and then updated: no lock (no other transaction can see the
     * workspace yet), no If-Match, no flush. Stamps who and when as {@link #apply} does and answers the change's
     * event, views before and after taken now, for the caller to append where the change belongs in its order.
     */
    public Supplier<Uni<Void>> beforeInsert(Workspace ws, String organizationName, Actor actor, String requestId,
            String eventType, Runnable change) {
        WorkspaceView before = WorkspaceMapper.view(ws, organizationName);
        change.run();
        ws.updatedAt = Clock.now();
        ws.updatedBy = actor;
        WorkspaceView after = WorkspaceMapper.view(ws, organizationName);
        return () -> events.append(eventType, actor, requestId,
                new EventLog.Subject(ws.organizationId, ws.id, "workspace", ws.id), before, after).replaceWithVoid();
    }

    public Uni<Changed> apply(Workspace ws, Actor actor, String requestId, String eventType, String ifMatch,
            Function<Organization, Uni<Void>> change) {
        return Locks.forUpdate(ws).chain(() -> Organization.<Organization>findById(ws.organizationId)).flatMap(org -> {
            ETags.requireMatch(ifMatch, WorkspaceService.etag(ws, org));
            WorkspaceView before = WorkspaceMapper.view(ws, org.name);
            return change.apply(org).chain(() -> {
                if (WorkspaceMapper.view(ws, org.name).equals(before)) {
                    return Uni.createFrom().item(new Changed(ws, org)); // nothing changed: no version, no event
                }
                ws.updatedAt = Clock.now();
                ws.updatedBy = actor;
                return Panache.getSession().chain(s -> s.flush())
                        .chain(() -> events.append(eventType, actor, requestId,
                                new EventLog.Subject(ws.organizationId, ws.id, "workspace", ws.id), before,
                                WorkspaceMapper.view(ws, org.name)))
                        .map(e -> new Changed(ws, org));
            });
        });
    }
}
