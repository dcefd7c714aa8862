package dev.atrium.workspace.dto;

import java.time.Instant;
import java.util.Map;

import org.eclipse.microprofile.openapi.annotations.media.Schema;

import dev.atrium.common.security.Actor;
import dev.atrium.workspace.WorkspaceLimits;

@Schema(name = "Workspace")
public record WorkspaceView(
        @Schema(enumeration = "workspace") String object,
        String id,
        String organizationId,
        @Schema(description = "The owning organization (the account of seeds 002 and 004): always equal to "
                + "organization_id") String accountId,
        String organizationName,
        String name,
        String slug,
        @Schema(nullable = true) String description,
        String region,
        @Schema(enumeration = { "shared", "dedicated" }) String tenancyModel,
        @Schema(enumeration = { "provisioning", "active", "failed", "frozen", "archived", "deleting", "deleted" }) String status,
        boolean archived,
        @Schema(nullable = true) Instant archivedAt,
        @Schema(nullable = true) String frozenReason,
        @Schema(nullable = true) Instant frozenAt,
        @Schema(nullable = true, enumeration = { "USER", "SERVICE", "PLATFORM_ADMIN" }) String frozenBy,
        @Schema(enumeration = { "single", "assigned", "pooled" }) String billingMode,
        @Schema(nullable = true) Integer pooledSeatLimit,
        @Schema(enumeration = { "free", "team", "enterprise" }) String plan,
        WorkspaceSettings settings,
        @Schema(description = WorkspaceLimits.METADATA_RULE, maxProperties = WorkspaceLimits.METADATA_KEYS_MAX,
                additionalProperties = MetadataValue.class) Map<String, String> metadata,
        Instant createdAt,
        Instant updatedAt,
        Actor createdBy,
        Actor updatedBy,
        @Schema(nullable = true) String provisioningRunId,
        @Schema(nullable = true, description = "Why provisioning failed, when status is failed") String failureReason,
        @Schema(nullable = true) Instant deletedAt,
        @Schema(nullable = true) Instant purgeAt,
        long version) {
}
