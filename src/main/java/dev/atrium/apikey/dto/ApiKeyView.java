package dev.atrium.apikey.dto;

import java.time.Instant;
import java.util.List;

import org.eclipse.microprofile.openapi.annotations.enums.SchemaType;
import org.eclipse.microprofile.openapi.annotations.media.Schema;

import dev.atrium.common.security.Actor;

/** An API key as every reader sees it: metadata only, never the secret or its hash. */
@Schema(name = "ApiKey")
public record ApiKeyView(
        @Schema(enumeration = "api_key") String object,
        @Schema(description = "`key_` id") String id,
        String name,
        @Schema(description = "The first characters of the key (cell code and creation time, no secret bits), to recognise it")
        String prefix,
        @Schema(type = SchemaType.ARRAY, implementation = ApiKeyScope.class) List<String> scopes,
        Instant createdAt,
        Actor createdBy,
        @Schema(nullable = true, description = "Updated within seconds of use, not on every request") Instant lastUsedAt,
        @Schema(nullable = true) Instant expiresAt,
        @Schema(nullable = true) Instant revokedAt) {
}
