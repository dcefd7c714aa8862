package dev.atrium.workspace.dto;

import org.eclipse.microprofile.openapi.annotations.media.Schema;

/** Closed schema: unknown settings are refused. */
@Schema(name = "WorkspaceSettings")
public record WorkspaceSettings(@Schema(description = "Whether new deployments enforce CI/CD deploys by default")
Boolean cicdEnforcedDefault) {
}
