package dev.atrium.export;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectReader;

import dev.atrium.apikey.ApiKey;
import dev.atrium.apikey.ApiKeyMapper;
import dev.atrium.apikey.dto.ApiKeyView;
import dev.atrium.audit.AuditService;
import dev.atrium.audit.Event;
import dev.atrium.audit.dto.EventView;
import dev.atrium.common.security.Actor;
import dev.atrium.common.time.Clock;
import dev.atrium.invitation.Invitation;
import dev.atrium.invitation.InvitationMapper;
import dev.atrium.invitation.dto.InvitationView;
import dev.atrium.member.MemberMapper;
import dev.atrium.member.WorkspaceMember;
import dev.atrium.member.dto.MemberView;
import dev.atrium.provisioning.ProvisioningRun;
import dev.atrium.provisioning.ProvisioningService;
import dev.atrium.provisioning.dto.ProvisioningRunView;
import dev.atrium.workspace.dto.EnvironmentView;
import io.quarkus.hibernate.reactive.panache.Panache;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.enterprise.context.ApplicationScoped;

/**
 * Reads a workspace's rows in keyset batches straight from the pool, each batch its own short query, so an export
 * holds one batch in memory whatever the workspace's size. Not one long REPEATABLE READ transaction: that would hold
 * the event feed's snapshot horizon back for the whole download. Rows become the same views the API serves, through
 * the same mappers; secret and token columns are never selected.
 */
@ApplicationScoped
public class ExportReader {

    static final int BATCH = 500;

    private final Pool pool;
    private final ObjectReader actors;
    private final ObjectMapper json;

    public ExportReader(Pool pool, ObjectMapper json) {
        this.pool = pool;
        this.json = json;
        // Stored actors were written by the column mapper; tolerate fields a later version adds.
        this.actors = json.readerFor(Actor.class).without(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);
    }

    public Multi<List<MemberView>> members(String workspaceId) {
        return batches("select id, user_id, email, name, role, joined_at, invited_by::text as invited_by"
                + " from workspace_members where workspace_id = $1", "joined_at", workspaceId, row -> {
                    WorkspaceMember m = new WorkspaceMember();
                    m.id = row.getString("id");
                    m.workspaceId = workspaceId;
                    m.userId = row.getString("user_id");
                    m.email = row.getString("email");
                    m.name = row.getString("name");
                    m.role = row.getString("role");
                    m.joinedAt = instant(row, "joined_at");
                    m.invitedBy = actor(row.getString("invited_by"));
                    return MemberMapper.view(m);
                });
    }

    public Multi<List<InvitationView>> invitations(String workspaceId) {
        Instant now = Clock.now();
        return batches("select id, email, role, status, expires_at, invited_by::text as invited_by, created_at"
                + " from invitations where workspace_id = $1", "created_at", workspaceId, row -> {
                    Invitation i = new Invitation();
                    i.id = row.getString("id");
                    i.workspaceId = workspaceId;
                    i.email = row.getString("email");
                    i.role = row.getString("role");
                    i.status = row.getString("status");
                    i.expiresAt = instant(row, "expires_at");
                    i.invitedBy = actor(row.getString("invited_by"));
                    i.createdAt = instant(row, "created_at");
                    return InvitationMapper.view(i, now);
                });
    }

    public Multi<List<ApiKeyView>> apiKeys(String workspaceId) {
        return batches("select id, name, prefix, scopes, created_at, created_by::text as created_by, last_used_at,"
                + " expires_at, revoked_at from api_keys where workspace_id = $1", "created_at", workspaceId, row -> {
                    ApiKey k = new ApiKey();
                    k.id = row.getString("id");
                    k.workspaceId = workspaceId;
                    k.name = row.getString("name");
                    k.prefix = row.getString("prefix");
                    k.scopes = row.getString("scopes");
                    k.createdAt = instant(row, "created_at");
                    k.createdBy = actor(row.getString("created_by"));
                    k.lastUsedAt = instant(row, "last_used_at");
                    k.expiresAt = instant(row, "expires_at");
                    k.revokedAt = instant(row, "revoked_at");
                    return ApiKeyMapper.view(k);
                });
    }

    public Multi<List<EnvironmentView>> environments(String workspaceId) {
        return batches("select id, name, status, created_at from environments where workspace_id = $1", "created_at",
                workspaceId, row -> new EnvironmentView("environment", row.getString("id"), workspaceId,
                        row.getString("name"), row.getString("status"), instant(row, "created_at")));
    }

    /**
     * Runs through Hibernate and the provisioning package's own view (a run's view needs its steps and the run's
     * state); a workspace has a handful of runs, so a session per batch and a query per run cost nothing.
     */
    public Multi<List<ProvisioningRunView>> runs(String workspaceId) {
        return Multi.createBy().repeating()
                .uni(Cursor::new, cursor -> {
                    if (cursor.done) {
                        return Uni.createFrom().item(List.<ProvisioningRunView>of());
                    }
                    // Memoized: a client hanging up mid-batch cancels the download, not the session's own
                    // completion, so the session still closes and returns its connection.
                    return Panache.withSession(() -> runPage(workspaceId, cursor).flatMap(runs -> {
                        if (!runs.isEmpty()) {
                            ProvisioningRun last = runs.get(runs.size() - 1);
                            cursor.lastAt = last.createdAt.atOffset(ZoneOffset.UTC);
                            cursor.lastId = last.id;
                        }
                        cursor.done = runs.size() < BATCH;
                        return Multi.createFrom().iterable(runs)
                                .onItem().transformToUniAndConcatenate(ProvisioningService::view)
                                .collect().asList();
                    })).memoize().indefinitely();
                })
                .until(List::isEmpty);
    }

    private static Uni<List<ProvisioningRun>> runPage(String workspaceId, Cursor cursor) {
        // range() is inclusive: 0..BATCH-1 is one batch.
        if (cursor.lastId == null) {
            return ProvisioningRun.<ProvisioningRun>find("workspaceId = ?1 order by createdAt, id", workspaceId)
                    .range(0, BATCH - 1).list();
        }
        return ProvisioningRun.<ProvisioningRun>find("workspaceId = ?1"
                + " and (createdAt > ?2 or (createdAt = ?2 and id > ?3)) order by createdAt, id",
                workspaceId, cursor.lastAt.toInstant(), cursor.lastId)
                .range(0, BATCH - 1).list();
    }

    public Multi<List<EventView>> events(String workspaceId) {
        return batches("select id, type, occurred_at, actor::text as actor, organization_id, workspace_id,"
                + " resource_type, resource_id, before::text as before, after::text as after, request_id"
                + " from events where workspace_id = $1", "occurred_at", workspaceId, row -> {
                    Event e = new Event();
                    e.id = row.getString("id");
                    e.type = row.getString("type");
                    e.occurredAt = instant(row, "occurred_at");
                    e.actor = actor(row.getString("actor"));
                    e.organizationId = row.getString("organization_id");
                    e.workspaceId = row.getString("workspace_id");
                    e.resourceType = row.getString("resource_type");
                    e.resourceId = row.getString("resource_id");
                    e.before = tree(row.getString("before"));
                    e.after = tree(row.getString("after"));
                    e.requestId = row.getString("request_id");
                    return AuditService.view(e);
                });
    }

    /**
     * Pages through {@code select} (which filters on {@code workspace_id = $1}) in ({@code orderColumn}, id) order,
     * each page starting after the last row of the previous one. A short page ends the stream without another query.
     */
    private <T> Multi<List<T>> batches(String select, String orderColumn, String workspaceId, Function<Row, T> map) {
        String order = " order by " + orderColumn + ", id limit " + BATCH;
        String first = select + order;
        String next = select + " and (" + orderColumn + ", id) > ($2, $3)" + order;
        return Multi.createBy().repeating()
                .uni(Cursor::new, cursor -> {
                    if (cursor.done) {
                        return Uni.createFrom().item(List.<T>of());
                    }
                    Tuple params = cursor.lastId == null ? Tuple.of(workspaceId)
                            : Tuple.of(workspaceId, cursor.lastAt, cursor.lastId);
                    return pool.preparedQuery(cursor.lastId == null ? first : next).execute(params).map(rows -> {
                        List<T> out = new ArrayList<>(rows.size());
                        Row last = null;
                        for (Row row : rows) {
                            out.add(map.apply(row));
                            last = row;
                        }
                        if (last != null) {
                            cursor.lastAt = last.getOffsetDateTime(orderColumn);
                            cursor.lastId = last.getString("id");
                        }
                        cursor.done = out.size() < BATCH;
                        return out;
                    });
                })
                .until(List::isEmpty);
    }

    /** Where one entity's stream stands; one per subscription, touched by one batch at a time. */
    private static final class Cursor {
        OffsetDateTime lastAt;
        String lastId;
        boolean done;
    }

    private static Instant instant(Row row, String column) {
        OffsetDateTime at = row.getOffsetDateTime(column);
        return at == null ? null : at.withOffsetSameInstant(ZoneOffset.UTC).toInstant();
    }

    private Actor actor(String text) {
        if (text == null) {
            return null;
        }
        try {
            return actors.readValue(text);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private JsonNode tree(String text) {
        if (text == null) {
            return null;
        }
        try {
            return json.readTree(text);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
