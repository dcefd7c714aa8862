package dev.atrium.workspace.dto;

import org.eclipse.microprofile.openapi.annotations.media.Schema;

@Schema(name = "WorkspaceOwner", description = "The user a service creates the workspace for")
public record OwnerRef(@Schema(required = true) String userId, @Schema(required = true) String email, String name) {
}
