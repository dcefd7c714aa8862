package dev.atrium.compat.dto;

import org.eclipse.microprofile.openapi.annotations.media.Schema;

import com.fasterxml.jackson.annotation.JsonProperty;

import dev.atrium.common.text.Text;
import dev.atrium.workspace.WorkspaceLimits;

/** The body of Astronomer's "Update Workspace": what it names changes, the rest stays. */
@Schema(name = "AstronomerUpdateWorkspaceRequest")
public record AstronomerUpdateWorkspace(
        @JsonProperty("name") @Schema(minLength = 1, maxLength = Text.NAME_MAX) String name,
        @JsonProperty("description") @Schema(maxLength = WorkspaceLimits.DESCRIPTION_MAX) String description,
        @JsonProperty("cicdEnforcedDefault") Boolean cicdEnforcedDefault) {
}
