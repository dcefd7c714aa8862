package dev.atrium.compat.dto;

import org.eclipse.microprofile.openapi.annotations.media.Schema;

import com.fasterxml.jackson.annotation.JsonProperty;

import dev.atrium.common.text.Text;
import dev.atrium.workspace.WorkspaceLimits;

/** The body of Astronomer's "Create Workspace". */
@Schema(name = "AstronomerCreateWorkspaceRequest")
public record AstronomerCreateWorkspace(
        @JsonProperty("name") @Schema(required = true, minLength = 1, maxLength = Text.NAME_MAX) String name,
        @JsonProperty("description") @Schema(maxLength = WorkspaceLimits.DESCRIPTION_MAX) String description,
        @JsonProperty("cicdEnforcedDefault") @Schema(description = "Whether new deployments enforce CI/CD deploys "
                + "by default (default false)") Boolean cicdEnforcedDefault) {
}
