package dev.atrium.compat.dto;

import org.eclipse.microprofile.openapi.annotations.media.Schema;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;

/**
 * Who created or last changed a workspace, as the Astronomer API shows a subject. Members Atrium does not know are
 * left out: it keeps no avatars, and only an API key has a token name.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
@Schema(name = "AstronomerActor", requiredProperties = { "id", "subjectType" })
public record AstronomerActor(
        @JsonProperty("id") String id,
        @JsonProperty("subjectType") @Schema(enumeration = { "USER", "SERVICEKEY" },
                description = "`USER` for a person; `SERVICEKEY` for a service, an API key or Atrium itself")
        String subjectType,
        @JsonProperty("fullName") String fullName,
        @JsonProperty("username") @Schema(description = "The user's email") String username,
        @JsonProperty("avatarUrl") @Schema(description = "Never sent: Atrium keeps no avatars") String avatarUrl,
        @JsonProperty("apiTokenName") @Schema(description = "For an API key: its name") String apiTokenName) {
}
