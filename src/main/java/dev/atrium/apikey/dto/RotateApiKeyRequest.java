package dev.atrium.apikey.dto;

import dev.atrium.apikey.ApiKeyService;
import org.eclipse.microprofile.openapi.annotations.media.Schema;

@Schema(name = "RotateApiKeyRequest")
public record RotateApiKeyRequest(
        @Schema(minimum = "0", maximum = "" + ApiKeyService.MAX_GRACE_SECONDS, description = "How long the old secret keeps working (default 0)")
        Integer graceSeconds) {
}
