package dev.atrium.apikey.dto;

import java.time.Instant;
import java.util.List;

import org.eclipse.microprofile.openapi.annotations.media.Schema;

import dev.atrium.common.text.Text;

@Schema(name = "CreateApiKeyRequest")
public record CreateApiKeyRequest(
        @Schema(required = true, minLength = 1, maxLength = Text.NAME_MAX) String name,
        @Schema(required = true, description = "Key scopes, each within the caller's own permissions",
                enumeration = { "workspace:read", "workspace:update", "members:read", "billing:read", "audit:read",
                        "export:read", "usage:read" }) List<String> scopes,
        @Schema(nullable = true, description = "In the future; absent: the key does not expire") Instant expiresAt) {
}
