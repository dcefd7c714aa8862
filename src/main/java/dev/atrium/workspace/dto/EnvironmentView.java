package dev.atrium.workspace.dto;

import java.time.Instant;

import org.eclipse.microprofile.openapi.annotations.media.Schema;

@Schema(name = "Environment")
public record EnvironmentView(@Schema(enumeration = "environment") String object, String id, String workspaceId,
        @Schema(enumeration = { "dev", "staging", "prod" }) String name,
        @Schema(enumeration = { "ready", "deleted" }) String status, Instant createdAt) {
}
