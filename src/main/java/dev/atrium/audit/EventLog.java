package dev.atrium.audit;

import com.fasterxml.jackson.databind.ObjectMapper;

import dev.atrium.cell.Cells;
import dev.atrium.common.json.DbJsonFormat;
import dev.atrium.common.security.Actor;
import dev.atrium.common.time.Clock;
import io.quarkus.hibernate.reactive.panache.Panache;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.persistence.FlushModeType;

/**
 * Appends to the event log inside the caller's transaction, so a change and its event commit or vanish together.
 * Before/after carry the API representation of the resource, which holds no secrets by construction.
 *
 * <p>
 * An event is one insert statement, sent at once: nothing reads it back in the transaction that writes it, and it
 * refers to no other row by key, so it needs neither the session's flush before it nor a place among the entities
 * the session tracks and flushes. Its JSON is sent as text and parsed by PostgreSQL (a string bound where jsonb is
 * expected would be stored as a JSON string).
 */
@ApplicationScoped
public class EventLog {

    private static final String INSERT = """
            insert into events (id, type, occurred_at, actor, actor_id, organization_id, workspace_id, resource_type,
                                resource_id, before, after, request_id)
            values (:id, :type, :at, cast(cast(:actor as text) as jsonb), :actorId, :organization, :workspace,
                    :resourceType, :resource, cast(cast(:before as text) as jsonb), cast(cast(:after as text) as jsonb),
                    :request)""";

    private final Cells cells;
    private final ObjectMapper json;

    public EventLog(Cells cells, ObjectMapper json) {
        this.cells = cells;
        this.json = json;
    }

    public record Subject(String organizationId, String workspaceId, String resourceType, String resourceId) {
    }

    public Uni<Void> append(String type, Actor actor, String requestId, Subject subject, Object before,
            Object after) {
        String id = cells.newId("evt");
        return Panache.getSession().chain(s -> s.createNativeQuery(INSERT)
                .setParameter("id", id).setParameter("type", type).setParameter("at", Clock.now())
                .setParameter("actor", DbJsonFormat.text(actor)).setParameter("actorId", actor.id())
                .setParameter("organization", subject.organizationId())
                .setParameter("workspace", subject.workspaceId())
                .setParameter("resourceType", subject.resourceType()).setParameter("resource", subject.resourceId())
                // The API's representations, written by its mapper straight to text. Their text is storable: it came
                // in through a checked body, path or query, a token whose claims were checked, or the database.
                .setParameter("before", DbJsonFormat.text(json, before))
                .setParameter("after", DbJsonFormat.text(json, after))
                .setParameter("request", requestId).setFlushMode(FlushModeType.COMMIT).executeUpdate())
                .replaceWithVoid();
    }
}
