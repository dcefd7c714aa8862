package dev.atrium.compat.dto;

import org.eclipse.microprofile.openapi.annotations.media.Schema;

import com.fasterxml.jackson.annotation.JsonProperty;

/** Recoup's answer to a create: the workspace, as an account that is a workspace. */
@Schema(name = "RecoupCreated", requiredProperties = "workspace")
public record RecoupCreated(@JsonProperty("workspace") Workspace workspace) {

    @Schema(name = "RecoupWorkspace", requiredProperties = { "id", "name", "account_id", "isWorkspace" })
    public record Workspace(
            @JsonProperty("id") String id,
            @JsonProperty("name") String name,
            @JsonProperty("account_id") @Schema(description = "The organization the workspace belongs to")
            String accountId,
            @JsonProperty("isWorkspace") @Schema(description = "Always true") boolean isWorkspace) {
    }
}
