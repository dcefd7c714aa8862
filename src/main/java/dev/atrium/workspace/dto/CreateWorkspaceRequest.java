package dev.atrium.workspace.dto;

import java.util.Map;

import org.eclipse.microprofile.openapi.annotations.media.Schema;

@Schema(name = "CreateWorkspaceRequest")
public record CreateWorkspaceRequest(
        @Schema(description = "Parent organization; the caller's personal organization when omitted") String organizationId,
        @Schema(description = "Deprecated alias of organization_id", deprecated = true) String accountId,
        @Schema(maxLength = 50, defaultValue = "Untitled") String name,
        @Schema(maxLength = 200, nullable = true) String description,
        @Schema(description = "Residency cell; defaults to the cell that receives the request") String region,
        @Schema(maxLength = 50, pattern = "^[a-z0-9](-?[a-z0-9])*$") String slug,
        @Schema(enumeration = { "shared", "dedicated" }, defaultValue = "shared") String tenancyModel,
        @Schema(enumeration = { "single", "assigned", "pooled" }, defaultValue = "single") String billingMode,
        @Schema(description = "Pooled mode only; defaults to the plan's member limit", minimum = "1") Integer pooledSeatLimit,
        WorkspaceSettings settings,
        @Schema(description = "At most 50 keys; keys up to 40 and values up to 500 characters") Map<String, String> metadata,
        @Schema(description = "Required when a service principal creates the workspace") OwnerRef owner) {
}
