package dev.atrium.workspace;

import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.Map;
import java.util.TreeMap;

import dev.atrium.access.WorkspaceRef;
import dev.atrium.common.security.Actor;
import dev.atrium.common.security.Role;
import dev.atrium.common.web.Versioned;
import dev.atrium.workspace.dto.WorkspaceView;
import io.vertx.core.json.JsonObject;
import io.vertx.mutiny.sqlclient.Row;

/**
 * A workspace as one read of {@link WorkspaceQueries} returns it: its view, its ETag, and the role the asking member
 * holds in it, mapped straight from the row; what {@link dev.atrium.access.Access} decides on.
 */
public record WorkspaceRow(WorkspaceView view, String etag, Role role, String frozenReason) implements WorkspaceRef {

    /**
     * The columns every read selects, in the order {@link #from} reads them: by position, as a name would be looked up
     * among all the row's columns for every value. A read that asks for the member's role selects it right after them.
     */
    static final String COLUMNS = "w.id, w.organization_id, o.name as organization_name, w.name, w.slug,"
            + " w.description, w.region, w.tenancy_model, w.status, w.archived_at, w.frozen_reason, w.frozen_at,"
            + " w.frozen_by, w.billing_mode, w.pooled_seat_limit, w.plan, w.settings, w.metadata, w.created_at,"
            + " w.updated_at, w.created_by, w.updated_by, w.provisioning_run_id, w.failure_reason, w.deleted_at,"
            + " w.purge_at, w.version, o.version as organization_version";

    private static final int ID = 0, ORGANIZATION_ID = 1, ORGANIZATION_NAME = 2, NAME = 3, SLUG = 4, DESCRIPTION = 5,
            REGION = 6, TENANCY_MODEL = 7, STATUS = 8, ARCHIVED_AT = 9, FROZEN_REASON = 10, FROZEN_AT = 11,
            FROZEN_BY = 12, BILLING_MODE = 13, POOLED_SEAT_LIMIT = 14, PLAN = 15, SETTINGS = 16, METADATA = 17,
            CREATED_AT = 18, UPDATED_AT = 19, CREATED_BY = 20, UPDATED_BY = 21, PROVISIONING_RUN_ID = 22,
            FAILURE_REASON = 23, DELETED_AT = 24, PURGE_AT = 25, VERSION = 26, ORGANIZATION_VERSION = 27,
            MEMBER_ROLE = 28;

    /** {@code withRole}: the row carries the member's role after {@link #COLUMNS} ({@code null}: none held). */
    static WorkspaceRow from(Row r, boolean withRole) {
        String status = r.getString(STATUS);
        Map<String, Object> settings = json(r, SETTINGS).getMap();
        Map<String, String> metadata = new TreeMap<>();
        json(r, METADATA).forEach(e -> metadata.put(e.getKey(), String.valueOf(e.getValue())));
        long version = r.getLong(VERSION);
        String organizationId = r.getString(ORGANIZATION_ID);
        String frozenReason = r.getString(FROZEN_REASON);
        WorkspaceView view = new WorkspaceView("workspace", r.getString(ID), organizationId, organizationId,
                r.getString(ORGANIZATION_NAME), r.getString(NAME), r.getString(SLUG), r.getString(DESCRIPTION),
                r.getString(REGION), r.getString(TENANCY_MODEL), status, WorkspaceStatus.ARCHIVED.is(status),
                instant(r, ARCHIVED_AT), frozenReason, instant(r, FROZEN_AT), r.getString(FROZEN_BY),
                r.getString(BILLING_MODE), r.getInteger(POOLED_SEAT_LIMIT), r.getString(PLAN),
                WorkspaceMapper.settings(settings), metadata, instant(r, CREATED_AT), instant(r, UPDATED_AT),
                actor(json(r, CREATED_BY)), actor(json(r, UPDATED_BY)), r.getString(PROVISIONING_RUN_ID),
                r.getString(FAILURE_REASON), instant(r, DELETED_AT), instant(r, PURGE_AT), version);
        Role role = withRole ? Role.parse(r.getString(MEMBER_ROLE)).orElse(null) : null;
        return new WorkspaceRow(view, WorkspaceService.etag(version, r.getLong(ORGANIZATION_VERSION)), role,
                frozenReason);
    }

    public Versioned<WorkspaceView> versioned() {
        return new Versioned<>(view, etag);
    }

    @Override
    public String id() {
        return view.id();
    }

    @Override
    public String organizationId() {
        return view.organizationId();
    }

    @Override
    public String plan() {
        return view.plan();
    }

    @Override
    public String billingMode() {
        return view.billingMode();
    }

    @Override
    public Integer pooledSeatLimit() {
        return view.pooledSeatLimit();
    }

    @Override
    public void requireWritable() {
        WorkspaceStatus.requireWritable(view.status(), frozenReason);
    }

    @Override
    public void requireNotDeleted() {
        WorkspaceStatus.requireNotDeleted(view.status(), frozenReason);
    }

    private static JsonObject json(Row r, int column) {
        Object value = r.getValue(column);
        if (value instanceof JsonObject object) {
            return object;
        }
        return value == null ? new JsonObject() : new JsonObject(value.toString());
    }

    private static Instant instant(Row r, int column) {
        OffsetDateTime value = r.getOffsetDateTime(column);
        return value == null ? null : value.toInstant();
    }

    private static Actor actor(JsonObject a) {
        if (a.isEmpty()) {
            return null;
        }
        return new Actor(a.getString("id"), a.getString("subject_type"), a.getString("name"), a.getString("email"),
                a.getString("api_key_name"), a.getBoolean("platform_admin"));
    }
}
