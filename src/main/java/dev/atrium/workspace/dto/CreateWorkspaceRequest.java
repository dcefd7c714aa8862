package dev.atrium.workspace.dto;

import java.util.Map;

import org.eclipse.microprofile.openapi.annotations.media.Schema;

import dev.atrium.common.Slugs;
import dev.atrium.common.text.Text;
import dev.atrium.workspace.WorkspaceLimits;

@Schema(name = "CreateWorkspaceRequest")
public record CreateWorkspaceRequest(
        @Schema(description = "Parent organization; the caller's personal organization when omitted") String organizationId,
        @Schema(description = "Deprecated alias of organization_id", deprecated = true) String accountId,
        @Schema(maxLength = Text.NAME_MAX, defaultValue = "Untitled") String name,
        @Schema(maxLength = WorkspaceLimits.DESCRIPTION_MAX, nullable = true) String description,
        @Schema(description = "Residency cell; defaults to the cell that receives the request") String region,
        @Schema(maxLength = Slugs.MAX, pattern = Slugs.PATTERN) String slug,
        @Schema(enumeration = { "shared", "dedicated" }, defaultValue = "shared") String tenancyModel,
        @Schema(enumeration = { "single", "assigned", "pooled" }, defaultValue = "single") String billingMode,
        @Schema(description = "Pooled mode only; defaults to the plan's member limit", minimum = "1", maximum = "" + WorkspaceLimits.POOLED_SEATS_MAX) Integer pooledSeatLimit,
        WorkspaceSettings settings,
        @Schema(description = WorkspaceLimits.METADATA_RULE, maxProperties = WorkspaceLimits.METADATA_KEYS_MAX,
                additionalProperties = MetadataValue.class) Map<String, String> metadata,
        @Schema(description = "Required when a service principal creates the workspace") OwnerRef owner) {
}
