package dev.atrium.organization.dto;

import org.eclipse.microprofile.openapi.annotations.media.Schema;

/** Documents the merge patch body; the service reads the raw JSON object so absent and null differ. */
@Schema(name = "UpdateOrganizationRequest")
public record UpdateOrganizationRequest(@Schema(maxLength = 50) String name,
        @Schema(maxLength = 50, pattern = "^[a-z0-9](-?[a-z0-9])*$") String slug) {
}
