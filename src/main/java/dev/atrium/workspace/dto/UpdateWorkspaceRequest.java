package dev.atrium.workspace.dto;

import java.util.Map;

import org.eclipse.microprofile.openapi.annotations.media.Schema;

import dev.atrium.common.text.Text;
import dev.atrium.workspace.WorkspaceLimits;

/** Documents the merge patch; the service reads the raw object so that absent and null differ (RFC 7396). */
@Schema(name = "UpdateWorkspaceRequest")
public record UpdateWorkspaceRequest(@Schema(maxLength = Text.NAME_MAX) String name,
        @Schema(maxLength = WorkspaceLimits.DESCRIPTION_MAX, nullable = true) String description,
        @Schema(enumeration = { "single", "assigned", "pooled" }) String billingMode,
        @Schema(nullable = true) Integer pooledSeatLimit, WorkspaceSettings settings,
        @Schema(description = "Merged key by key; a null value removes the key. " + WorkspaceLimits.METADATA_RULE,
                additionalProperties = MetadataValue.OrNull.class) Map<String, String> metadata,
        @Schema(enumeration = { "free", "team", "enterprise" },
                description = "Only atrium:admin services and platform admins") String plan) {
}
