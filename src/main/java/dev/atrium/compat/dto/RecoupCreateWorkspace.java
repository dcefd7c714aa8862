package dev.atrium.compat.dto;

import org.eclipse.microprofile.openapi.annotations.media.Schema;

import com.fasterxml.jackson.annotation.JsonProperty;

import dev.atrium.common.text.Text;

/** The body of Recoup's {@code POST /api/workspaces}. */
@Schema(name = "RecoupCreateWorkspaceRequest")
public record RecoupCreateWorkspace(
        @JsonProperty("name") @Schema(minLength = 1, maxLength = Text.NAME_MAX, defaultValue = "Untitled")
        String name,
        @JsonProperty("account_id") @Schema(description = "The organization (`org_` id) to create the workspace in; "
                + "absent: the caller's own (personal) organization") String accountId,
        @JsonProperty("organization_id") @Schema(description = "The same organization, under its other name; when "
                + "both are sent they must be equal") String organizationId) {
}
