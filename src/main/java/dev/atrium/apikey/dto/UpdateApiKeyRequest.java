package dev.atrium.apikey.dto;

import java.time.Instant;
import java.util.List;

import org.eclipse.microprofile.openapi.annotations.enums.SchemaType;
import org.eclipse.microprofile.openapi.annotations.media.Schema;

import dev.atrium.common.text.Text;

/** PUT replaces the editable fields: an absent {@code expires_at} means the key does not expire. */
@Schema(name = "UpdateApiKeyRequest")
public record UpdateApiKeyRequest(
        @Schema(required = true, minLength = 1, maxLength = Text.NAME_MAX) String name,
        @Schema(required = true, type = SchemaType.ARRAY, implementation = ApiKeyScope.class) List<String> scopes,
        @Schema(implementation = String.class, format = "date-time", nullable = true,
                description = "RFC 3339, in the future; null: the key does not expire") Instant expiresAt) {
}
