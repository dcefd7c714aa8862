package dev.atrium.apikey.dto;

import org.eclipse.microprofile.openapi.annotations.media.Schema;

@Schema(name = "RotateApiKeyRequest")
public record RotateApiKeyRequest(
        @Schema(minimum = "0", maximum = "604800", description = "How long the old secret keeps working (default 0)")
        Integer graceSeconds) {
}
