package dev.atrium.compat.dto;

import org.eclipse.microprofile.openapi.annotations.media.Schema;

import com.fasterxml.jackson.annotation.JsonProperty;

/** A refusal as the Recoup API writes it. */
@Schema(name = "RecoupError", requiredProperties = { "error", "message" })
public record RecoupError(
        @JsonProperty("error") @Schema(description = "The HTTP status") int error,
        @JsonProperty("message") String message) {
}
