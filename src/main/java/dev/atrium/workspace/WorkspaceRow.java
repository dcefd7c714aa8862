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

    /** The columns every read selects, in the order {@link #from} reads them. */
    static final String COLUMNS = "w.id, w.organization_id, o.name as organization_name, w.name, w.slug,"
            + " w.description, w.region, w.tenancy_model, w.status, w.archived_at, w.frozen_reason, w.frozen_at,"
            + " w.frozen_by, w.billing_mode, w.pooled_seat_limit, w.plan, w.settings, w.metadata, w.created_at,"
            + " w.updated_at, w.created_by, w.updated_by, w.provisioning_run_id, w.failure_reason, w.deleted_at,"
            + " w.purge_at, w.version, o.version as organization_version";

    static WorkspaceRow from(Row r, String roleColumn) {
        String status = r.getString("status");
        Map<String, Object> settings = json(r, "settings").getMap();
        Map<String, String> metadata = new TreeMap<>();
        json(r, "metadata").forEach(e -> metadata.put(e.getKey(), String.valueOf(e.getValue())));
        long version = r.getLong("version");
        String organizationId = r.getString("organization_id");
        WorkspaceView view = new WorkspaceView("workspace", r.getString("id"), organizationId, organizationId,
                r.getString("organization_name"), r.getString("name"), r.getString("slug"), r.getString("description"),
                r.getString("region"), r.getString("tenancy_model"), status, WorkspaceStatus.ARCHIVED.is(status),
                instant(r, "archived_at"), r.getString("frozen_reason"), instant(r, "frozen_at"),
                r.getString("frozen_by"), r.getString("billing_mode"), r.getInteger("pooled_seat_limit"),
                r.getString("plan"), WorkspaceMapper.settings(settings), metadata, instant(r, "created_at"),
                instant(r, "updated_at"), actor(json(r, "created_by")), actor(json(r, "updated_by")),
                r.getString("provisioning_run_id"), r.getString("failure_reason"), instant(r, "deleted_at"),
                instant(r, "purge_at"), version);
        Role role = roleColumn == null ? null : Role.parse(r.getString(roleColumn)).orElse(null);
        return new WorkspaceRow(view, WorkspaceService.etag(version, r.getLong("organization_version")), role,
                r.getString("frozen_reason"));
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

    private static JsonObject json(Row r, String column) {
        Object value = r.getValue(column);
        if (value instanceof JsonObject object) {
            return object;
        }
        return value == null ? new JsonObject() : new JsonObject(value.toString());
    }

    private static Instant instant(Row r, String column) {
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
