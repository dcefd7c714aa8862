package dev.atrium.compat.dto;

import org.eclipse.microprofile.openapi.annotations.media.Schema;

import com.fasterxml.jackson.annotation.JsonProperty;

/** A refusal as the Astronomer API writes it. */
@Schema(name = "AstronomerError", requiredProperties = { "message", "requestId", "statusCode" })
public record AstronomerError(
        @JsonProperty("message") String message,
        @JsonProperty("requestId") String requestId,
        @JsonProperty("statusCode") int statusCode) {
}
