package dev.atrium.apikey.dto;

import java.time.Instant;
import java.util.List;

import org.eclipse.microprofile.openapi.annotations.enums.SchemaType;
import org.eclipse.microprofile.openapi.annotations.media.Schema;

import dev.atrium.apikey.ApiKeyFormat;
import dev.atrium.common.security.Actor;

/** The documented answer to create and rotate: the key and, this one time, its secret. */
@Schema(name = "ApiKeyWithSecret")
public record ApiKeySecretView(
        @Schema(enumeration = "api_key") String object,
        String id,
        String name,
        String prefix,
        @Schema(type = SchemaType.ARRAY, implementation = ApiKeyScope.class) List<String> scopes,
        Instant createdAt,
        Actor createdBy,
        @Schema(nullable = true) Instant lastUsedAt,
        @Schema(nullable = true) Instant expiresAt,
        @Schema(nullable = true) Instant revokedAt,
        @Schema(description = "The key, shown once; send it as `Authorization: Bearer <secret>`. Matches `"
                + ApiKeyFormat.REGEX + "`.", pattern = ApiKeyFormat.REGEX) String secret) {

    /** Redacted for logs: a record's default toString would print the secret. */
    @Override
    public String toString() {
        return "ApiKeySecretView[id=" + id + "]";
    }
}
