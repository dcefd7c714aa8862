package dev.atrium.workspace;

import java.util.Map;
import java.util.TreeMap;

import dev.atrium.workspace.dto.WorkspaceSettings;
import dev.atrium.workspace.dto.WorkspaceView;

/** Entities never cross HTTP: the one place a workspace becomes its view. */
public final class WorkspaceMapper {
    private WorkspaceMapper() {
    }

    public static WorkspaceView view(Workspace w, String organizationName) {
        return new WorkspaceView("workspace", w.id, w.organizationId, w.organizationId, organizationName, w.name,
                w.slug, w.description, w.region, w.tenancyModel, w.status,
                WorkspaceStatus.ARCHIVED.wire().equals(w.status), w.archivedAt, w.frozenReason, w.frozenAt,
                w.frozenBy, w.billingMode, w.pooledSeatLimit, w.plan, settings(w.settings),
                new TreeMap<>(w.metadata == null ? Map.of() : w.metadata), w.createdAt, w.updatedAt, w.createdBy,
                w.updatedBy, w.provisioningRunId, w.failureReason, w.deletedAt, w.purgeAt, w.version);
    }

    static WorkspaceSettings settings(Map<String, Object> stored) {
        Object cicd = stored == null ? null : stored.get("cicd_enforced_default");
        return new WorkspaceSettings(Boolean.TRUE.equals(cicd));
    }

    static Map<String, Object> stored(WorkspaceSettings settings) {
        return Map.of("cicd_enforced_default", settings != null && Boolean.TRUE.equals(settings.cicdEnforcedDefault()));
    }
}
