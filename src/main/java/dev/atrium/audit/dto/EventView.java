package dev.atrium.audit.dto;

import java.time.Instant;

import org.eclipse.microprofile.openapi.annotations.media.Schema;

import com.fasterxml.jackson.databind.JsonNode;

import dev.atrium.common.security.Actor;

@Schema(name = "Event")
public record EventView(@Schema(enumeration = "event") String object, String id, String type, Instant occurredAt,
        Actor actor, @Schema(nullable = true) String organizationId, @Schema(nullable = true) String workspaceId,
        Resource resource,
        @Schema(nullable = true, type = org.eclipse.microprofile.openapi.annotations.enums.SchemaType.OBJECT) JsonNode before,
        @Schema(nullable = true, type = org.eclipse.microprofile.openapi.annotations.enums.SchemaType.OBJECT) JsonNode after,
        @Schema(nullable = true) String requestId) {

    @Schema(name = "EventResource")
    public record Resource(String type, String id) {
    }
}
