package dev.atrium.compat.dto;

import org.eclipse.microprofile.openapi.annotations.media.Schema;

import com.fasterxml.jackson.annotation.JsonProperty;

/** A workspace as the Astronomer platform API (v1beta1) shows it. */
@Schema(name = "AstronomerWorkspace", requiredProperties = { "id", "name", "description", "organizationId",
        "organizationName", "cicdEnforcedDefault", "createdAt", "updatedAt", "createdBy", "updatedBy" })
public record AstronomerWorkspace(
        @JsonProperty("id") String id,
        @JsonProperty("name") String name,
        @JsonProperty("description") @Schema(nullable = true) String description,
        @JsonProperty("organizationId") String organizationId,
        @JsonProperty("organizationName") String organizationName,
        @JsonProperty("cicdEnforcedDefault") @Schema(description = "Whether new deployments enforce CI/CD deploys "
                + "by default") boolean cicdEnforcedDefault,
        @JsonProperty("createdAt") @Schema(format = "date-time", pattern = AstronomerTime.PATTERN,
                example = "2023-09-08T12:00:00Z") String createdAt,
        @JsonProperty("updatedAt") @Schema(format = "date-time", pattern = AstronomerTime.PATTERN,
                example = "2023-09-08T13:30:00Z") String updatedAt,
        @JsonProperty("createdBy") AstronomerActor createdBy,
        @JsonProperty("updatedBy") AstronomerActor updatedBy) {
}
