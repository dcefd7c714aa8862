package dev.atrium.audit;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

import com.fasterxml.jackson.databind.ObjectMapper;

import dev.atrium.cell.Cells;
import dev.atrium.common.db.SessionSql;
import dev.atrium.common.db.Tx;
import dev.atrium.common.json.DbJsonFormat;
import dev.atrium.common.security.Actor;
import dev.atrium.common.time.Clock;
import io.quarkus.hibernate.reactive.panache.Panache;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;

/**
 * Appends to the event log inside the caller's transaction, so a change and its event commit or vanish together.
 * Before/after carry the API representation of the resource, which holds no secrets by construction.
 *
 * <p>
 * Nothing reads an event back in the transaction that writes it, and an event refers to no other row by key, so it
 * needs neither the session's flush before it nor a place among the entities the session tracks and flushes. In a
 * unit of work ({@link Tx#run}) the unit's events are written together in one statement at its end, before its
 * commit (a create writes three); elsewhere an event is one insert, sent at once. Either way its representations are
 * written to text when it is appended, as they are then. Its JSON is sent as text and parsed by PostgreSQL (a string
 * bound where jsonb is expected would be stored as a JSON string).
 */
@ApplicationScoped
public class EventLog {

    private static final String INSERT = """
            insert into events (id, type, occurred_at, actor, actor_id, organization_id, workspace_id, resource_type,
                                resource_id, before, after, request_id)
            values ($1, $2, $3, cast(cast($4 as text) as jsonb), $5, $6, $7, $8, $9, cast(cast($10 as text) as jsonb),
                    cast(cast($11 as text) as jsonb), $12)""";

    /** Several events, in the order they were appended: each column an array, the timestamps as ISO-8601 text. */
    private static final String INSERT_ALL = """
            insert into events (id, type, occurred_at, actor, actor_id, organization_id, workspace_id, resource_type,
                                resource_id, before, after, request_id)
            select e.id, e.type, cast(e.at as timestamptz), cast(e.actor as jsonb), e.actor_id, e.organization,
                   e.workspace, e.resource_type, e.resource, cast(e.before as jsonb), cast(e.after as jsonb), e.request
              from unnest(cast($1 as text[]), cast($2 as text[]), cast($3 as text[]), cast($4 as text[]),
                          cast($5 as text[]), cast($6 as text[]), cast($7 as text[]), cast($8 as text[]),
                          cast($9 as text[]), cast($10 as text[]), cast($11 as text[]), cast($12 as text[]))
                   with ordinality as e(id, type, at, actor, actor_id, organization, workspace, resource_type,
                                        resource, before, after, request, n)
             order by e.n""";

    private final Cells cells;
    private final ObjectMapper json;

    public EventLog(Cells cells, ObjectMapper json) {
        this.cells = cells;
        this.json = json;
    }

    public record Subject(String organizationId, String workspaceId, String resourceType, String resourceId) {
    }

    /** An event as it is written: its actor and representations already text. */
    private record Row(String id, String type, Instant at, String actor, String actorId, Subject subject,
            String before, String after, String requestId) {
    }

    /** The events of one unit of work, written in one statement before its commit. */
    private final class Pending implements Tx.Batch {
        final List<Row> rows = new ArrayList<>();

        @Override
        public Uni<Void> write() {
            return rows.size() == 1 ? insert(rows.get(0)) : insertAll(rows);
        }
    }

    public Uni<Void> append(String type, Actor actor, String requestId, Subject subject, Object before,
            Object after) {
        // The API's representations, written by its mapper straight to text. Their text is storable: it came in
        // through a checked body, path or query, a token whose claims were checked, or the database.
        Row row = new Row(cells.newId("evt"), type, Clock.now(), DbJsonFormat.text(actor), actor.id(), subject,
                DbJsonFormat.text(json, before), DbJsonFormat.text(json, after), requestId);
        Pending pending = Tx.batch(Pending.class, Pending::new);
        if (pending == null) {
            return insert(row);
        }
        pending.rows.add(row);
        return Uni.createFrom().voidItem();
    }

    private static Uni<Void> insert(Row row) {
        Subject subject = row.subject();
        return Panache.getSession().chain(s -> SessionSql.update(s, INSERT, row.id(), row.type(),
                SessionSql.at(row.at()), row.actor(), row.actorId(), subject.organizationId(),
                subject.workspaceId(), subject.resourceType(), subject.resourceId(), row.before(), row.after(),
                row.requestId())).replaceWithVoid();
    }

    private static Uni<Void> insertAll(List<Row> rows) {
        return Panache.getSession().chain(s -> SessionSql.update(s, INSERT_ALL, column(rows, Row::id),
                column(rows, Row::type), column(rows, r -> r.at().toString()), column(rows, Row::actor),
                column(rows, Row::actorId), column(rows, r -> r.subject().organizationId()),
                column(rows, r -> r.subject().workspaceId()), column(rows, r -> r.subject().resourceType()),
                column(rows, r -> r.subject().resourceId()), column(rows, Row::before), column(rows, Row::after),
                column(rows, Row::requestId))).replaceWithVoid();
    }

    private static String[] column(List<Row> rows, Function<Row, String> value) {
        return rows.stream().map(value).toArray(String[]::new);
    }
}
