package dev.atrium.apikey.dto;

import java.time.Instant;
import java.util.List;

import org.eclipse.microprofile.openapi.annotations.media.Schema;

import dev.atrium.common.text.Text;

/** PUT replaces the editable fields: an absent {@code expires_at} means the key does not expire. */
@Schema(name = "UpdateApiKeyRequest")
public record UpdateApiKeyRequest(
        @Schema(required = true, minLength = 1, maxLength = Text.NAME_MAX) String name,
        @Schema(required = true, enumeration = { "workspace:read", "workspace:update", "members:read", "billing:read",
                "audit:read", "export:read", "usage:read" }) List<String> scopes,
        @Schema(nullable = true) Instant expiresAt) {
}
