package dev.atrium.apikey.dto;

import org.eclipse.microprofile.openapi.annotations.enums.SchemaType;
import org.eclipse.microprofile.openapi.annotations.media.Schema;

/** Documents the scopes an API key may hold; keys carry them as plain strings. */
@Schema(name = "ApiKeyScope", type = SchemaType.STRING, enumeration = { "workspace:read", "workspace:update",
        "members:read", "billing:read", "audit:read", "export:read", "usage:read" })
public final class ApiKeyScope {

    private ApiKeyScope() {
    }
}
