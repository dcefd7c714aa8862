package dev.atrium.audit;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import dev.atrium.cell.Cells;
import dev.atrium.common.security.Actor;
import dev.atrium.common.time.Clock;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;

/**
 * Appends to the event log inside the caller's transaction, so a change and its event commit or vanish together.
 * Before/after carry the API representation of the resource, which holds no secrets by construction.
 */
@ApplicationScoped
public class EventLog {

    private final Cells cells;
    private final ObjectMapper json;

    public EventLog(Cells cells, ObjectMapper json) {
        this.cells = cells;
        this.json = json;
    }

    public record Subject(String organizationId, String workspaceId, String resourceType, String resourceId) {
    }

    public Uni<Event> append(String type, Actor actor, String requestId, Subject subject, Object before,
            Object after) {
        Event e = new Event();
        e.id = cells.newId("evt");
        e.type = type;
        e.occurredAt = Clock.now();
        e.actor = actor;
        e.actorId = actor.id();
        e.organizationId = subject.organizationId();
        e.workspaceId = subject.workspaceId();
        e.resourceType = subject.resourceType();
        e.resourceId = subject.resourceId();
        e.before = tree(before);
        e.after = tree(after);
        e.requestId = requestId;
        return e.persist();
    }

    private JsonNode tree(Object value) {
        return value == null ? null : json.valueToTree(value);
    }
}
