package dev.atrium.organization.dto;

import org.eclipse.microprofile.openapi.annotations.media.Schema;

@Schema(name = "CreateOrganizationRequest")
public record CreateOrganizationRequest(@Schema(required = true, maxLength = 50) String name,
        @Schema(maxLength = 50, pattern = "^[a-z0-9](-?[a-z0-9])*$") String slug) {
}
