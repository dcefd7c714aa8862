package dev.atrium.apikey.dto;

import org.eclipse.microprofile.openapi.annotations.media.Schema;

@Schema(name = "RotateApiKeyRequest")
public record RotateApiKeyRequest(
        @Schema(minimum = "0", maximum = "" + RotateApiKeyRequest.MAX_GRACE_SECONDS,
                description = "How long the old secret keeps working (default 0)") Integer graceSeconds) {

    /** A week: the longest an old secret keeps working after a rotation. */
    public static final int MAX_GRACE_SECONDS = 7 * 24 * 3600;
}
